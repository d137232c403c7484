"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { None } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { DetailState } from "@/components/resource/detail-state";
import { formatDateTime } from "@/components/resource/format";
import { FormDialog, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { useInvalidate } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { addSecurityGroupRuleInput, securityGroupDirections, securityGroupProtocols } from "@/lib/validation/security-groups";

const crumbs = [{ label: "Network" }, { label: "Security groups", href: "/security-groups" }];
type Detail = RouterOutputs["securityGroup"]["get"];
type Rule = Detail["rules"][number];
type Member = Detail["members"][number];

const ports = (r: Rule) => (r.startPort === null ? "All" : r.startPort === r.endPort ? String(r.startPort) : `${r.startPort}-${r.endPort}`);

export function SecurityGroupDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const query = useQuery(trpc.securityGroup.get.queryOptions({ id }));
  const groups = useQuery(trpc.securityGroup.list.queryOptions());
  const confirm = useConfirm();
  const refresh = useInvalidate(["securityGroup"]);
  const [adding, setAdding] = useState<"ingress" | "egress" | null>(null);

  if (!query.data)
    return (
      <DetailState
        query={query}
        noun="Security group"
        crumbs={crumbs}
        notFoundHint="It does not exist, it has been deleted, or it belongs to an account you cannot see."
        back={{ href: "/security-groups", label: "Back to security groups" }}
      />
    );
  const g = query.data;
  const peers = (groups.data?.items ?? []).filter((o) => o.accountId === g.accountId);
  const ruleTable = (direction: "ingress" | "egress") => (
    <Card
      title={direction === "ingress" ? "Ingress rules (what may reach members)" : "Egress rules (what members may reach)"}
      actions={
        <Button size="sm" variant="secondary" onClick={() => setAdding(direction)}>
          Add {direction} rule
        </Button>
      }
    >
      <StaticTable<Rule>
        label={`${direction} rules`}
        rows={g.rules.filter((r) => r.direction === direction)}
        rowKey={(r) => r.id}
        emptyTitle={
          direction === "ingress" ? "No ingress rule: nothing may reach the members" : "No egress rule: members may reach anything"
        }
        columns={[
          { key: "protocol", header: "Protocol", cell: (r) => r.protocol.toUpperCase() },
          { key: "ports", header: "Ports", cell: (r) => <span className="tabular-nums">{ports(r)}</span> },
          {
            key: "peer",
            header: direction === "ingress" ? "From" : "To",
            cell: (r) =>
              r.cidr ? (
                <span className="font-mono">{r.cidr}</span>
              ) : (
                <span>
                  members of <strong>{r.peerName ?? "a deleted group"}</strong>
                </span>
              ),
          },
          {
            key: "remove",
            header: "Actions",
            cell: (r) => (
              <Button
                size="sm"
                variant="ghost"
                onClick={() =>
                  confirm.ask({
                    title: "Revoke this rule?",
                    message: `Revoke ${direction} ${r.protocol} ${ports(r)} ${r.cidr ?? `members of ${r.peerName ?? "?"}`}? Running instances are updated at once.`,
                    confirmLabel: "Revoke rule",
                    danger: true,
                    run: async () => {
                      await client.securityGroup.removeRule.mutate({ id: r.id });
                      await refresh();
                      toast("Rule revoked");
                    },
                  })
                }
              >
                Revoke
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );

  return (
    <>
      <PageHeader
        title={g.name}
        crumbs={[...crumbs, { label: g.name }]}
        description={g.description ?? "Security group"}
        actions={g.isDefault ? <Badge tone="blue">default group</Badge> : undefined}
      />
      <div className="space-y-6">
        <Card title="Summary">
          <Facts testId="security-group-summary">
            <Fact label="Rules">{g.rules.length}</Fact>
            <Fact label="Member NICs">{g.members.length}</Fact>
            <Fact label="Created">{formatDateTime(g.createdAt)}</Fact>
          </Facts>
        </Card>
        {ruleTable("ingress")}
        {ruleTable("egress")}
        <Card title="Members">
          <StaticTable<Member>
            label="Member NICs"
            rows={g.members}
            rowKey={(m) => m.nicId}
            emptyTitle="No NIC is in this group"
            emptyHint="Choose it when deploying an instance on a shared network."
            columns={[
              {
                key: "instance",
                header: "Instance",
                cell: (m) => (
                  <Link href={`/instances/${m.instanceId}`} className="font-medium text-brand-700 hover:underline">
                    {m.instanceName}
                  </Link>
                ),
              },
              { key: "network", header: "Network", cell: (m) => m.networkName },
              { key: "ip", header: "IP address", cell: (m) => (m.ip ? <span className="font-mono">{m.ip}</span> : <None>None</None>) },
            ]}
          />
        </Card>
      </div>
      <FormDialog
        open={adding !== null}
        onClose={() => setAdding(null)}
        title={`Add ${adding ?? ""} rule`}
        schema={addSecurityGroupRuleInput}
        defaultValues={{
          securityGroupId: g.id,
          direction: adding ?? "ingress",
          protocol: "tcp",
          startPort: null,
          endPort: null,
          cidr: "",
          peerSecurityGroupId: null,
        }}
        submitLabel="Add rule"
        onSubmit={(v) => client.securityGroup.addRule.mutate(v)}
        invalidate={["securityGroup"]}
        success={() => "Rule added; running instances are updated at once"}
      >
        {(f) => (
          <>
            <SelectField
              form={f}
              name="direction"
              label="Direction"
              options={securityGroupDirections.map((d) => ({
                value: d,
                label: d === "ingress" ? "Ingress (to members)" : "Egress (from members)",
              }))}
            />
            <SelectField
              form={f}
              name="protocol"
              label="Protocol"
              options={securityGroupProtocols.map((p) => ({ value: p, label: p.toUpperCase() }))}
            />
            <NumberField form={f} name="startPort" label="Start port (tcp/udp; empty: all)" min={1} max={65535} nullable />
            <NumberField form={f} name="endPort" label="End port" min={1} max={65535} nullable />
            <TextField
              form={f}
              name="cidr"
              label="CIDR"
              mono
              placeholder="203.0.113.0/24"
              hint="0.0.0.0/0 for anyone. Or leave empty and pick a group."
            />
            <SelectField
              form={f}
              name="peerSecurityGroupId"
              label="Or members of group"
              empty="No group (use the CIDR)"
              emptyIsNull
              options={peers.map((p) => ({ value: p.id, label: p.name }))}
            />
          </>
        )}
      </FormDialog>
      {confirm.dialog}
    </>
  );
}
