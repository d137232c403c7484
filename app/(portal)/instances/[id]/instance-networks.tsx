"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, SelectField, TextField } from "@/components/resource/form-dialog";
import type { RouterOutputs } from "@/components/resource/router-types";
import { None } from "@/components/resource/cells";
import { useInvalidate } from "@/components/resource/mutations";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card } from "@/components/ui/page-header";
import { addNicInput, updateNicIpInput } from "@/lib/validation/networks";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

type Nic = RouterOutputs["nic"]["list"][number];
interface NetVm {
  id: string;
  name: string;
  state: string;
  zoneId: string;
}

const whyNot = (vm: NetVm) => (vm.state === "stopped" ? null : `Stop the instance first (it is ${vm.state})`);

/**
 * The instance page's Networks card: its NICs (network, address, MAC) and, on a stopped
 * instance, adding a NIC, changing an address or removing a NIC; the next start applies them.
 */
export function InstanceNetworks({ vm }: { vm: NetVm }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.nic.list.queryOptions({ instanceId: vm.id }));
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Nic | null>(null);
  const confirm = useConfirm();
  const invalidate = useInvalidate(["nic", "network", "instance"]);
  const reason = whyNot(vm);
  return (
    <Card
      title="Networks"
      actions={
        <Button variant="secondary" disabled={!!reason} title={reason ?? undefined} onClick={() => setAdding(true)}>
          Add NIC
        </Button>
      }
    >
      <WhenLoaded query={list} what="NICs">
        {(nics) => (
          <StaticTable<Nic>
            label={`NICs of ${vm.name}`}
            rows={nics}
            rowKey={(n) => n.id}
            rowName={(n) => `NIC ${n.deviceId} on ${n.networkName}`}
            emptyTitle="No NICs"
            emptyHint="Instances deployed before networks existed have none; add one while the instance is stopped."
            columns={[
              {
                key: "network",
                header: "Network",
                cell: (n) => (
                  <Link href={`/networks/${n.networkId}`} className="font-medium text-brand-700 hover:underline">
                    {n.networkName}
                  </Link>
                ),
              },
              {
                key: "ip",
                header: "IP address",
                cell: (n) =>
                  n.ip ? (
                    <span className="font-mono" data-testid="nic-ip">
                      {n.ip}
                    </span>
                  ) : (
                    <None>None (L2)</None>
                  ),
              },
              {
                key: "gateway",
                header: "Gateway",
                hideBelow: "md",
                cell: (n) => (n.gateway ? <span className="font-mono">{n.gateway}</span> : <None />),
              },
              { key: "mac", header: "MAC", hideBelow: "lg", cell: (n) => <span className="font-mono text-xs">{n.mac}</span> },
              { key: "device", header: "NIC", hideBelow: "sm", cell: (n) => (n.deviceId === 0 ? "Default" : `#${n.deviceId}`) },
            ]}
            rowActions={(n) => [
              { label: "Change address", onSelect: () => setEditing(n), disabled: reason ?? (n.ip ? null : "An L2 NIC has no address") },
              {
                label: "Remove NIC",
                danger: true,
                disabled: reason ?? (n.deviceId === 0 ? "The default NIC cannot be removed" : null),
                onSelect: () =>
                  confirm.ask({
                    title: `Remove the NIC on ${n.networkName}?`,
                    message: `${vm.name} loses ${n.ip ?? "this NIC"}; the address is free again for other instances.`,
                    confirmLabel: "Remove",
                    danger: true,
                    run: async () => {
                      await client.nic.remove.mutate({ instanceId: vm.id, nicId: n.id });
                      await invalidate();
                    },
                  }),
              },
            ]}
          />
        )}
      </WhenLoaded>
      {adding && <AddNicDialog vm={vm} onClose={() => setAdding(false)} />}
      <FormDialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={`Change the address on ${editing?.networkName ?? ""}`}
        schema={updateNicIpInput}
        defaultValues={{ instanceId: vm.id, nicId: editing?.id ?? "", ip: editing?.ip ?? "" }}
        submitLabel="Change address"
        onSubmit={(v) => client.nic.updateIp.mutate(v)}
        invalidate={["nic", "network", "instance"]}
        success={() => "Address changed; the next start uses it"}
      >
        {(f) => <TextField form={f} name="ip" label="IP address" mono hint={`A free address of ${editing?.cidr ?? "the network"}.`} />}
      </FormDialog>
      {confirm.dialog}
    </Card>
  );
}

/** Add a NIC: one of the account's networks in the VM's zone, with the address it would get. */
function AddNicDialog({ vm, onClose }: { vm: NetVm; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const choices = useQuery(trpc.network.choices.queryOptions({ zoneId: vm.zoneId }));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Add a NIC to ${vm.name}`}
      schema={addNicInput}
      waitFor={{ query: choices, what: "networks" }}
      defaultValues={{ instanceId: vm.id, networkId: "", ip: "" }}
      submitLabel="Add NIC"
      onSubmit={(v) => client.nic.add.mutate(v)}
      invalidate={["nic", "network", "instance"]}
      success={(r) => `NIC added${r.nic.ip ? ` with ${r.nic.ip}` : ""}; the next start attaches it`}
    >
      {(f) => (
        <>
          <SelectField
            form={f}
            name="networkId"
            label="Network"
            empty={choices.data?.networks.length ? "Choose a network…" : "You have no network in this zone yet"}
            options={(choices.data?.networks ?? []).map((n) => ({
              value: n.id,
              label: `${n.name} (${n.cidr ?? "L2"})${n.nextIp ? ` · next free ${n.nextIp}` : ""}`,
            }))}
          />
          <TextField form={f} name="ip" label="IP address (optional)" mono placeholder="Next free address" />
        </>
      )}
    </FormDialog>
  );
}
