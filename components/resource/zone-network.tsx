"use client";
import { useQuery } from "@tanstack/react-query";
import { useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { KitFormBody, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { useDomainOptions } from "@/components/resource/options";
import { useInvalidate } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { StaticTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { addPublicIpRangeInput, addVlanRangeInput, updateZoneNetworkInput } from "@/lib/validation/networks";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

type ZoneNetwork = RouterOutputs["zoneNetwork"]["get"];
type Range = ZoneNetwork["ranges"][number];
type PublicRange = RouterOutputs["publicIpRange"]["list"][number];

/**
 * A zone's network settings (root admin), from the zones page: the guest VLAN ranges networks take
 * their ids from (add, remove an unused one), the default guest CIDR and the traffic labels
 * (host interfaces) drivers use for the public bridge and the guest uplink.
 */
export function ZoneNetworkDialog({ zone, onClose }: { zone: { id: string; name: string } | null; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const query = useQuery({ ...trpc.zoneNetwork.get.queryOptions({ zoneId: zone?.id ?? "" }), enabled: !!zone });
  const invalidate = useInvalidate(["zoneNetwork"]);
  const confirm = useConfirm();
  return (
    <Dialog open={zone !== null} onClose={onClose} title={`Network settings of ${zone?.name ?? ""}`} wide>
      {zone && (
        <WhenLoaded query={query} what="network settings">
          {(zn) => (
            <div className="space-y-6">
              <section aria-label="Guest VLAN ranges" className="space-y-3">
                <h3 className="text-sm font-semibold text-slate-800">Guest VLAN ranges</h3>
                <p className="text-sm text-slate-600">
                  Each network takes one id of these ranges; no two networks of the zone share one. Without a range, networks are untagged.
                </p>
                <StaticTable<Range>
                  label="Guest VLAN ranges"
                  rows={zn.ranges}
                  rowKey={(r) => r.id}
                  rowName={(r) => `VLANs ${r.startId}-${r.endId}`}
                  emptyTitle="No VLAN ranges"
                  emptyHint="Networks of this zone are untagged until a range is added."
                  columns={[
                    { key: "range", header: "VLANs", cell: (r) => <span className="tabular-nums">{`${r.startId}–${r.endId}`}</span> },
                    { key: "used", header: "In use", cell: (r) => <span className="tabular-nums">{`${r.used} of ${r.size}`}</span> },
                  ]}
                  rowActions={(r) => [
                    {
                      label: "Remove",
                      danger: true,
                      disabled: r.used > 0 ? "Networks use ids of this range" : null,
                      onSelect: () =>
                        confirm.ask({
                          title: `Remove VLANs ${r.startId}–${r.endId}?`,
                          message: "New networks will no longer take ids from it.",
                          confirmLabel: "Remove",
                          danger: true,
                          run: async () => {
                            await client.zoneNetwork.removeVlanRange.mutate({ id: r.id });
                            await invalidate();
                          },
                        }),
                    },
                  ]}
                />
                <KitFormBody
                  onClose={() => undefined}
                  schema={addVlanRangeInput}
                  defaultValues={{ zoneId: zone.id, startId: undefined, endId: undefined }}
                  submitLabel="Add range"
                  cancelLabel={null}
                  onSubmit={(v) => client.zoneNetwork.addVlanRange.mutate(v)}
                  invalidate={["zoneNetwork"]}
                  success={() => "VLAN range added"}
                  label="Add a VLAN range"
                >
                  {(f) => (
                    <div className="grid gap-3 sm:grid-cols-2">
                      <NumberField form={f} name="startId" label="First VLAN" min={1} max={4094} />
                      <NumberField form={f} name="endId" label="Last VLAN" min={1} max={4094} />
                    </div>
                  )}
                </KitFormBody>
              </section>
              <PublicRanges zoneId={zone.id} />
              <section aria-label="Guest CIDR and traffic labels" className="space-y-3 border-t border-slate-200 pt-4">
                <h3 className="text-sm font-semibold text-slate-800">Guest CIDR and traffic labels</h3>
                <KitFormBody
                  onClose={onClose}
                  schema={updateZoneNetworkInput}
                  defaultValues={{
                    zoneId: zone.id,
                    guestCidr: zn.guestCidr,
                    publicBridge: zn.publicBridge ?? "",
                    guestUplink: zn.guestUplink ?? "",
                  }}
                  submitLabel="Save settings"
                  onSubmit={(v) => client.zoneNetwork.update.mutate(v)}
                  invalidate={["zoneNetwork"]}
                  success={() => `Network settings of ${zone.name} saved`}
                >
                  {(f) => (
                    <div className="grid gap-3 sm:grid-cols-3">
                      <TextField
                        form={f}
                        name="guestCidr"
                        label="Default guest CIDR"
                        mono
                        hint="New isolated networks get it unless their owner picks one."
                      />
                      <TextField
                        form={f}
                        name="publicBridge"
                        label="Public bridge"
                        mono
                        placeholder="none"
                        hint="Host bridge of the public network."
                      />
                      <TextField
                        form={f}
                        name="guestUplink"
                        label="Guest uplink"
                        mono
                        placeholder="none"
                        hint="Host interface carrying guest VLANs."
                      />
                    </div>
                  )}
                </KitFormBody>
              </section>
              {confirm.dialog}
            </div>
          )}
        </WhenLoaded>
      )}
    </Dialog>
  );
}

/** The zone's public address ranges: networks acquire their public IPs from them. */
function PublicRanges({ zoneId }: { zoneId: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.publicIpRange.list.queryOptions({ zoneId }));
  const invalidate = useInvalidate(["publicIpRange"]);
  const confirm = useConfirm();
  const domains = useDomainOptions();
  return (
    <section aria-label="Public IP ranges" className="space-y-3 border-t border-slate-200 pt-4">
      <h3 className="text-sm font-semibold text-slate-800">Public IP ranges</h3>
      <WhenLoaded query={list} what="public IP ranges">
        {(ranges) => (
          <StaticTable<PublicRange>
            label="Public IP ranges"
            rows={ranges}
            rowKey={(r) => r.id}
            rowName={(r) => `public range ${r.startIp}-${r.endIp}`}
            emptyTitle="No public IP ranges"
            emptyHint="Networks of this zone cannot acquire public addresses until a range is added."
            columns={[
              { key: "range", header: "Addresses", cell: (r) => <span className="font-mono">{`${r.startIp}–${r.endIp}`}</span> },
              {
                key: "gateway",
                header: "Gateway",
                hideBelow: "sm",
                cell: (r) => <span className="font-mono">{`${r.gateway}/${r.prefixLength}`}</span>,
              },
              { key: "vlan", header: "VLAN", hideBelow: "md", cell: (r) => (r.vlan === null ? "Untagged" : r.vlan) },
              { key: "domain", header: "For", hideBelow: "md", cell: (r) => r.domainName ?? "Every domain" },
              { key: "used", header: "In use", cell: (r) => <span className="tabular-nums">{`${r.used} of ${r.size}`}</span> },
            ]}
            rowActions={(r) => [
              {
                label: "Remove",
                danger: true,
                disabled: r.used > 0 ? "Networks hold addresses of this range" : null,
                onSelect: () =>
                  confirm.ask({
                    title: `Remove ${r.startIp}–${r.endIp}?`,
                    message: "Networks will no longer acquire addresses from it.",
                    confirmLabel: "Remove",
                    danger: true,
                    run: async () => {
                      await client.publicIpRange.remove.mutate({ id: r.id });
                      await invalidate();
                    },
                  }),
              },
            ]}
          />
        )}
      </WhenLoaded>
      <KitFormBody
        onClose={() => undefined}
        schema={addPublicIpRangeInput}
        defaultValues={{ zoneId, gateway: "", prefixLength: 24, vlan: null, startIp: "", endIp: "", domainId: null }}
        submitLabel="Add public range"
        cancelLabel={null}
        onSubmit={(v) => client.publicIpRange.add.mutate(v)}
        invalidate={["publicIpRange"]}
        success={() => "Public IP range added"}
        label="Add a public IP range"
      >
        {(f) => (
          <div className="grid gap-3 sm:grid-cols-3">
            <TextField form={f} name="startIp" label="First address" mono placeholder="203.0.113.10" />
            <TextField form={f} name="endIp" label="Last address" mono placeholder="203.0.113.50" />
            <TextField form={f} name="gateway" label="Gateway" mono placeholder="203.0.113.1" />
            <NumberField form={f} name="prefixLength" label="Prefix length" min={8} max={30} />
            <NumberField form={f} name="vlan" label="VLAN (optional)" min={1} max={4094} nullable />
            <SelectField
              form={f}
              name="domainId"
              label="Dedicated to"
              options={domains.data ?? []}
              empty="Every domain"
              emptyIsNull
              hint="Only networks of this domain's subtree take its addresses."
            />
          </div>
        )}
      </KitFormBody>
      {confirm.dialog}
    </section>
  );
}
