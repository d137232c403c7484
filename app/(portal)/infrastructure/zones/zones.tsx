"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { TwoLine, UsageBar } from "@/components/resource/cells";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { StateFilter, unset, useFilters } from "@/components/resource/filters";
import { FormDialog, SelectField, TextField } from "@/components/resource/form-dialog";
import { ZoneNetworkDialog } from "@/components/resource/zone-network";
import { count, formatGib, formatMhz, formatMib } from "@/components/resource/format";
import { allocationLabel, infraCrumb, options, stateActions, type ZoneCapacity, type ZoneRow } from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { allocationAlgorithms, type AllocationState, createZoneInput } from "@/lib/validation/infrastructure";

const changes = ["zone"] as const;
const link = "text-brand-700 hover:underline";

export function Zones() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ state: unset<AllocationState>() }, () => table.setPage(1));
  const list = useQuery(trpc.zone.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }));
  const [form, setForm] = useState<{ zone: ZoneRow | null } | null>(null);
  const confirm = useConfirm();
  const [networkOf, setNetworkOf] = useState<ZoneRow | null>(null);
  const setState = useResourceMutation({
    run: (v: { id: string; state: AllocationState }) => client.zone.setState.mutate(v),
    invalidate: changes,
    success: (z) => `Zone ${z.name} is now ${z.state}`,
  });
  const remove = useResourceMutation({
    run: (z: ZoneRow) => client.zone.delete.mutate({ id: z.id }),
    invalidate: changes,
    success: (_, z) => `Zone ${z.name} deleted`,
    quietErrors: true,
  });

  const columns: Column<ZoneRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (z) => <TwoLine main={z.name} sub={z.description} /> },
    { key: "state", header: "State", sortable: true, cell: (z) => <StateBadge state={z.state} /> },
    {
      key: "allocationAlgorithm",
      header: "Allocation",
      sortable: true,
      hideBelow: "md",
      cell: (z) => allocationLabel[z.allocationAlgorithm] ?? z.allocationAlgorithm,
    },
    {
      key: "podCount",
      header: "Pods",
      sortable: true,
      cell: (z) => (
        <Link className={link} href={`/infrastructure/pods?zoneId=${z.id}`} aria-label={`${z.podCount} pods of zone ${z.name}`}>
          {z.podCount}
        </Link>
      ),
    },
    {
      key: "clusterCount",
      header: "Clusters",
      sortable: true,
      hideBelow: "md",
      cell: (z) => (
        <Link className={link} href={`/infrastructure/clusters?zoneId=${z.id}`} aria-label={`${z.clusterCount} clusters of zone ${z.name}`}>
          {z.clusterCount}
        </Link>
      ),
    },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (z) => (
        <Link className={link} href={`/infrastructure/hosts?zoneId=${z.id}`} aria-label={`${z.hostCount} hosts of zone ${z.name}`}>
          {z.hostCount}
        </Link>
      ),
    },
    {
      key: "storage",
      header: "Storage",
      hideBelow: "lg",
      cell: (z) => (
        <Link href={`/infrastructure/storage?zoneId=${z.id}`} className={link}>
          {z.storagePoolCount} primary, {z.secondaryStoreCount} secondary
        </Link>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Zones"
        crumbs={[infraCrumb, { label: "Zones" }]}
        description="A zone is a data centre: it holds pods (racks), their clusters and hosts, primary storage and secondary storage. A disabled zone takes no new deployments."
        actions={<Button onClick={() => setForm({ zone: null })}>Add zone</Button>}
      />
      <CapacityOverview />
      <DataTable
        label="zones"
        columns={columns}
        query={list}
        table={table}
        rowKey={(z) => z.id}
        rowName={(z) => `zone ${z.name}`}
        searchPlaceholder="Search by name or description…"
        emptyTitle={filters.active ? `No ${filters.values.state} zones` : "No zones yet"}
        emptyHint="Add a zone, then a pod, a cluster and hosts in it, and storage, before anyone can deploy."
        filters={
          <StateFilter kind="allocation" value={filters.values.state} onChange={(v) => filters.set("state", v as AllocationState)} />
        }
        rowActions={(z) => [
          { label: "Edit", onSelect: () => setForm({ zone: z }) },
          { label: "Network settings", onSelect: () => setNetworkOf(z) },
          ...stateActions(
            "zone",
            z,
            (state) => setState.mutateAsync({ id: z.id, state: state === "disabled" ? "disabled" : "enabled" }),
            confirm.ask,
          ),
          {
            label: "Delete",
            danger: true,
            onSelect: () =>
              confirm.ask(
                deletion("zone", z.name, () => remove.mutateAsync(z), "A zone can only be deleted once its pods and storage are gone."),
              ),
          },
        ]}
      />
      <FormDialog
        open={form !== null}
        onClose={() => setForm(null)}
        title={form?.zone ? `Edit zone ${form.zone.name}` : "Add zone"}
        schema={createZoneInput}
        defaultValues={{
          name: form?.zone?.name ?? "",
          description: form?.zone?.description ?? "",
          allocationAlgorithm: form?.zone?.allocationAlgorithm ?? "first_fit",
        }}
        submitLabel={form?.zone ? "Save changes" : "Create zone"}
        onSubmit={(v) =>
          form?.zone
            ? client.zone.update.mutate({
                id: form.zone.id,
                name: v.name,
                description: v.description ?? "",
                allocationAlgorithm: v.allocationAlgorithm,
              })
            : client.zone.create.mutate(v)
        }
        invalidate={changes}
        success={(z) => `Zone ${z.name} ${form?.zone ? "saved" : "created"}`}
      >
        {(f) => (
          <>
            <TextField form={f} name="name" label="Name" autoFocus />
            <TextField form={f} name="description" label="Description" placeholder="e.g. Frankfurt, hall 2" />
            <SelectField
              form={f}
              name="allocationAlgorithm"
              label="Allocation algorithm"
              hint="How the planner picks among suitable hosts."
              options={options(allocationLabel, allocationAlgorithms)}
            />
          </>
        )}
      </FormDialog>
      {networkOf && <ZoneNetworkDialog zone={networkOf} onClose={() => setNetworkOf(null)} />}
      {confirm.dialog}
    </>
  );
}

/** Per-zone capacity as bars: admins want to look, not read. */
function CapacityOverview() {
  const trpc = useTRPC();
  const capacity = useQuery(trpc.zone.capacity.queryOptions({}));
  return (
    <Card title="Capacity by zone" className="mb-6">
      {capacity.isPending ? (
        <Loading label="Loading capacity…" />
      ) : capacity.error ? (
        <ErrorState error={capacity.error} onRetry={() => void capacity.refetch()} />
      ) : capacity.data.length === 0 ? (
        <EmptyState title="No zones yet" hint="Capacity appears here once a zone has hosts and storage." />
      ) : (
        <ul className="divide-y divide-slate-100">
          {capacity.data.map((z) => (
            <ZoneCapacityRow key={z.zoneId} z={z} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function ZoneCapacityRow({ z }: { z: ZoneCapacity }) {
  const h = z.hosts;
  const detail = [
    h.enabled && `${h.enabled} enabled`,
    h.disabled && `${h.disabled} disabled`,
    h.maintenance && `${h.maintenance} in maintenance`,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <li className="p-4" aria-label={`Capacity of zone ${z.zoneName}`}>
      <div className="mb-3 flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3 className="font-medium text-slate-900">{z.zoneName}</h3>
        <StateBadge state={z.state} />
        <span className="text-sm text-slate-600">
          {count(h.total, "host")}
          {h.total > 0 && ` (${detail})`} · secondary storage {formatGib(z.secondaryStorageGib.total)}
        </span>
      </div>
      <div className="grid gap-x-8 gap-y-3 sm:grid-cols-3">
        <UsageBar caption="CPU" label={`CPU of zone ${z.zoneName}`} used={z.cpuMhz.used} total={z.cpuMhz.total} format={formatMhz} />
        <UsageBar
          caption="Memory"
          label={`Memory of zone ${z.zoneName}`}
          used={z.memoryMib.used}
          total={z.memoryMib.total}
          format={formatMib}
        />
        <UsageBar
          caption="Primary storage"
          label={`Primary storage of zone ${z.zoneName}`}
          used={z.primaryStorageGib.used}
          total={z.primaryStorageGib.total}
          format={formatGib}
        />
      </div>
    </li>
  );
}
