"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { None } from "@/components/resource/cells";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import type { RouterOutputs } from "@/components/resource/router-types";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createSharedNetworkInput } from "@/lib/validation/shared-networks";

type Row = RouterOutputs["sharedNetwork"]["list"]["items"][number];

/** Shared networks (root admin): on a router outside Stratus, usable by every account of a domain subtree. */
export function SharedNetworks() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.sharedNetwork.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const choices = useQuery({ ...trpc.instance.deployChoices.queryOptions(), enabled: creating });
  const offerings = useQuery({ ...trpc.networkOffering.list.queryOptions({}), enabled: creating });
  const domains = useQuery({ ...trpc.domain.tree.queryOptions(), enabled: creating });
  return (
    <>
      <PageHeader
        title="Shared networks"
        crumbs={[{ label: "Infrastructure" }, { label: "Shared networks" }]}
        description="Networks on an existing router outside Stratus (the gateway), usable by every account of a domain subtree. Stratus serves DHCP and DNS on them; instances there are filtered by security groups."
        actions={<Button onClick={() => setCreating(true)}>Create shared network</Button>}
      />
      <Card>
        <WhenLoaded query={list} what="shared networks">
          {(d) => (
            <StaticTable<Row>
              label="Shared networks"
              rows={d.items}
              rowKey={(n) => n.id}
              emptyTitle="No shared networks yet"
              emptyHint="Create one with the VLAN, CIDR and gateway of a network your routers already serve."
              columns={[
                { key: "name", header: "Name", cell: (n) => <span className="font-medium">{n.name}</span> },
                { key: "cidr", header: "CIDR", cell: (n) => <span className="font-mono">{n.cidr}</span> },
                { key: "gateway", header: "Gateway", hideBelow: "md", cell: (n) => <span className="font-mono">{n.gateway}</span> },
                {
                  key: "range",
                  header: "Guest range",
                  hideBelow: "sm",
                  cell: (n) => (
                    <span className="font-mono whitespace-nowrap">
                      {n.ipRangeStart}–{n.ipRangeEnd}
                    </span>
                  ),
                },
                { key: "vlan", header: "VLAN", hideBelow: "md", cell: (n) => (n.vlan === null ? <None>Untagged</None> : n.vlan) },
                { key: "domain", header: "Domain", hideBelow: "lg", cell: (n) => n.domainName },
                { key: "state", header: "State", hideBelow: "lg", cell: (n) => n.state },
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      <FormDialog
        open={creating}
        onClose={() => setCreating(false)}
        title="Create shared network"
        schema={createSharedNetworkInput}
        waitFor={{ query: choices, what: "zones" }}
        defaultValues={{
          name: "",
          zoneId: choices.data?.zones[0]?.id ?? "",
          networkOfferingId: "",
          cidr: "",
          gateway: "",
          ipRangeStart: "",
          ipRangeEnd: "",
          routerIp: "",
          dnsDomain: "",
          domainId: null,
        }}
        submitLabel="Create shared network"
        onSubmit={(v) => client.sharedNetwork.create.mutate(v)}
        invalidate={["sharedNetwork", "network"]}
        success={(n) => `Shared network ${n.name} created (${n.cidr}${n.vlan === null ? "" : `, VLAN ${n.vlan}`})`}
      >
        {(f) => (
          <>
            <TextField form={f} name="name" label="Name" autoFocus />
            <SelectField
              form={f}
              name="zoneId"
              label="Zone"
              empty="Choose a zone…"
              options={(choices.data?.zones ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <SelectField
              form={f}
              name="networkOfferingId"
              label="Network offering"
              empty="Choose a shared offering…"
              options={(offerings.data?.items ?? []).filter((o) => o.guestType === "shared").map((o) => ({ value: o.id, label: o.name }))}
            />
            <NumberField
              form={f}
              name="vlan"
              label="VLAN (optional)"
              min={1}
              max={4094}
              optional
              hint="Empty: the next free VLAN of the zone's ranges."
            />
            <TextField form={f} name="cidr" label="CIDR" mono placeholder="198.51.100.0/24" />
            <TextField
              form={f}
              name="gateway"
              label="Gateway"
              mono
              placeholder="198.51.100.1"
              hint="Your router on this network, outside Stratus."
            />
            <TextField form={f} name="ipRangeStart" label="First guest address" mono placeholder="198.51.100.100" />
            <TextField form={f} name="ipRangeEnd" label="Last guest address" mono placeholder="198.51.100.199" />
            <TextField
              form={f}
              name="routerIp"
              label="DHCP server address (optional)"
              mono
              hint="Stratus's DHCP/DNS server on the network, outside the guest range. Empty: the CIDR's last address."
            />
            <TextField form={f} name="dnsDomain" label="DNS domain (optional)" mono placeholder="shared.internal" />
            <SelectField
              form={f}
              name="domainId"
              label="Domain"
              empty="Every account (public)"
              emptyIsNull
              options={flatten(domains.data ?? [])}
              hint="Only accounts of this domain and its sub-domains may use it."
            />
          </>
        )}
      </FormDialog>
    </>
  );
}

type TreeNode = { id: string; name: string; children?: TreeNode[] };
function flatten(nodes: readonly TreeNode[] | TreeNode, depth = 0): { value: string; label: string }[] {
  const list: readonly TreeNode[] = isList(nodes) ? nodes : [nodes];
  return list.flatMap((n) => [{ value: n.id, label: `${"  ".repeat(depth)}${n.name}` }, ...flatten(n.children ?? [], depth + 1)]);
}

const isList = (n: readonly TreeNode[] | TreeNode): n is readonly TreeNode[] => Array.isArray(n);
