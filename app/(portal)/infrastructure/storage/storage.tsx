"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { FieldValues, Path } from "react-hook-form";
import { Tags, TwoLine, UsageBar } from "@/components/resource/cells";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { FilterSelect, idOrEmpty, StateFilter, unset, useFilters } from "@/components/resource/filters";
import { FormDialog, type KitForm, NumberField, ReadOnlyField, SelectField, TagsField, TextField } from "@/components/resource/form-dialog";
import { formatGib } from "@/components/resource/format";
import {
  infraCrumb,
  type InitialFilter,
  options,
  type SecondaryStoreRow,
  stateActions,
  stateText,
  type StoragePoolRow,
  useClusterOptions,
  useZoneOptions,
} from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import {
  createSecondaryStoreInput,
  createStoragePoolInput,
  type HostState,
  storagePoolTypes,
  updateSecondaryStoreInput,
  updateStoragePoolInput,
} from "@/lib/validation/infrastructure";

const poolTypeLabel: Record<string, string> = { simulator: "Simulator", local_dir: "Local directory" };
const pathHint = {
  simulator: "A label for the simulated pool, e.g. sim://primary-2",
  local_dir: "An absolute directory on every host of the scope, e.g. /var/lib/stratus/pool1",
} as const;
const changes = ["storagePool", "secondaryStore", "cluster", "zone"] as const;
const scopeOf = (p: StoragePoolRow) => (p.clusterName === null ? `Zone-wide (${p.zoneName})` : `Cluster ${p.clusterName} (${p.zoneName})`);

/** Primary storage pools (VM disks) and secondary stores (templates, ISOs, snapshots) on one page. */
/** Bytes really on disk, as GiB with two decimals (thin volumes take less than their size). */
const onDisk = (bytes: number | null) => (bytes === null ? "—" : `${(bytes / 1024 ** 3).toFixed(2)} GiB`);

export function Storage({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const [zoneId, setZoneId] = useState(idOrEmpty(initialFilter.zoneId));
  const zones = useZoneOptions();
  return (
    <>
      <PageHeader
        title="Storage"
        crumbs={[infraCrumb, { label: "Storage" }]}
        description="Primary storage holds VM disks, for a whole zone or one cluster; secondary storage holds a zone's templates."
        actions={
          <FilterSelect
            label="Filter storage by zone"
            allLabel="All zones"
            value={zoneId}
            onChange={setZoneId}
            options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
          />
        }
      />
      <PrimaryPools zoneId={zoneId} initialClusterId={idOrEmpty(initialFilter.clusterId)} noZones={zones.data?.length === 0} />
      <SecondaryStores zoneId={zoneId} noZones={zones.data?.length === 0} />
    </>
  );
}

function PrimaryPools({ zoneId, initialClusterId, noZones }: { zoneId: string; initialClusterId: string; noZones: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ clusterId: initialClusterId, state: unset<HostState>() }, () => table.setPage(1));
  const list = useQuery(
    trpc.storagePool.list.queryOptions(
      { ...table.query, ...filters.query, zoneId: zoneId || undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  const [form, setForm] = useState<{ pool: StoragePoolRow | null } | null>(null);
  const confirm = useConfirm();
  const setState = useResourceMutation({
    run: (v: { id: string; state: HostState }) => client.storagePool.setState.mutate(v),
    invalidate: changes,
    success: (p) => `Storage pool ${p.name} is now ${stateText[p.state]}`,
  });
  const measure = useResourceMutation({
    run: (p: StoragePoolRow) => client.storagePool.measure.mutate({ id: p.id }),
    invalidate: changes,
    success: (p) => `Storage pool ${p.name}: ${onDisk(p.actualBytes)} on disk`,
  });
  const remove = useResourceMutation({
    run: (p: StoragePoolRow) => client.storagePool.delete.mutate({ id: p.id }),
    invalidate: changes,
    success: (_, p) => `Storage pool ${p.name} deleted`,
    quietErrors: true,
  });

  const columns: Column<StoragePoolRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (p) => <TwoLine main={p.name} sub={p.path} mono /> },
    {
      key: "clusterName",
      header: "Scope",
      sortable: true,
      hideBelow: "md",
      cell: (p) =>
        p.clusterName === null ? (
          <span>
            <Badge tone="blue">Zone-wide</Badge> {p.zoneName}
          </span>
        ) : (
          `Cluster ${p.clusterName} (${p.zoneName})`
        ),
    },
    { key: "type", header: "Type", sortable: true, hideBelow: "xl", cell: (p) => poolTypeLabel[p.type] ?? p.type },
    {
      key: "usedGib",
      header: "Capacity",
      sortable: true,
      hideBelow: "lg",
      cell: (p) => (
        <UsageBar
          compact
          label={`GiB allocated to volumes on storage pool ${p.name}`}
          used={p.usedGib}
          total={p.capacityGib * p.overprovisioning}
          format={formatGib}
        />
      ),
    },
    {
      key: "actualBytes",
      header: "On disk",
      hideBelow: "xl",
      cell: (p) =>
        p.actualBytesAt ? (
          <span title={`Measured ${new Date(p.actualBytesAt).toLocaleString()}`} className="tabular-nums">
            {onDisk(p.actualBytes)}
          </span>
        ) : (
          <span className="text-slate-500">Not measured yet</span>
        ),
    },
    { key: "tags", header: "Tags", hideBelow: "xl", cell: (p) => <Tags tags={p.tags} /> },
    { key: "state", header: "State", sortable: true, cell: (p) => <StateBadge state={p.state} /> },
  ];

  return (
    <section aria-labelledby="primary-heading" className="mb-8">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <h2 id="primary-heading" className="text-lg font-semibold">
          Primary storage
        </h2>
        <Button onClick={() => setForm({ pool: null })} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
          Add primary storage
        </Button>
      </div>
      <DataTable
        label="primary storage pools"
        columns={columns}
        query={list}
        table={table}
        rowKey={(p) => p.id}
        rowName={(p) => `storage pool ${p.name}`}
        searchPlaceholder="Search by name, path, zone, cluster or tag…"
        emptyTitle={zoneId || filters.active ? "No primary storage matches these filters" : "No primary storage yet"}
        emptyHint="VMs need primary storage for their disks: add a pool for a zone or a cluster."
        filters={
          <>
            {filters.values.clusterId && (
              <Button variant="secondary" onClick={() => filters.set("clusterId", "")}>
                Cluster {list.data?.items[0]?.clusterName ?? "…"} ×<span className="sr-only"> clear cluster filter</span>
              </Button>
            )}
            <StateFilter kind="host" value={filters.values.state} onChange={(v) => filters.set("state", v as HostState)} />
          </>
        }
        rowActions={(p) => [
          { label: "Edit", onSelect: () => setForm({ pool: p }) },
          { label: "Measure bytes on disk", onSelect: () => void measure.mutateAsync(p) },
          ...stateActions("storage pool", p, (state) => setState.mutateAsync({ id: p.id, state }), confirm.ask, {
            maintenance: true,
            maintenanceHint: "Volumes already on it stay where they are.",
          }),
          {
            label: "Delete",
            danger: true,
            disabled: p.usedGib > 0 ? "Volumes still use it" : null,
            onSelect: () =>
              confirm.ask(
                deletion(
                  "storage pool",
                  p.name,
                  () => remove.mutateAsync(p),
                  "A pool that VM disks still use cannot be deleted: destroy and expunge those VMs first.",
                ),
              ),
          },
        ]}
      />
      {form?.pool ? (
        <FormDialog
          open
          wide
          onClose={() => setForm(null)}
          title={`Edit storage pool ${form.pool.name}`}
          schema={updateStoragePoolInput.omit({ id: true })}
          defaultValues={{
            name: form.pool.name,
            path: form.pool.path,
            capacityGib: form.pool.capacityGib,
            overprovisioning: form.pool.overprovisioning,
            tags: form.pool.tags,
          }}
          submitLabel="Save changes"
          onSubmit={(v) => client.storagePool.update.mutate({ id: form.pool!.id, ...v })}
          invalidate={changes}
          success={(p) => `Storage pool ${p.name} saved`}
        >
          {(f) => (
            <div className="grid gap-4 sm:grid-cols-2">
              <ReadOnlyField label="Scope" value={scopeOf(form.pool!)} />
              <ReadOnlyField label="Type" value={poolTypeLabel[form.pool!.type] ?? form.pool!.type} />
              <TextField form={f} name="name" label="Name" autoFocus />
              <TextField form={f} name="path" label="Path" mono hint={pathHint[form.pool!.type]} />
              <NumberField
                form={f}
                name="capacityGib"
                label="Capacity (GiB)"
                min={1}
                hint={
                  form.pool!.usedGib > 0
                    ? `Volumes use ${formatGib(form.pool!.usedGib)}; capacity × over-provisioning cannot go below that.`
                    : "1 TiB = 1024 GiB"
                }
              />
              <OverprovisioningField form={f} />
              <TagsField form={f} name="tags" label="Tags" />
            </div>
          )}
        </FormDialog>
      ) : (
        <NewPool open={form !== null} zoneId={zoneId} onClose={() => setForm(null)} />
      )}
      {confirm.dialog}
    </section>
  );
}

function NewPool({ open, zoneId, onClose }: { open: boolean; zoneId: string; onClose: () => void }) {
  const client = useTRPCClient();
  const zones = useZoneOptions();
  const clusters = useClusterOptions();
  const both = {
    data: zones.data && clusters.data ? { zones: zones.data, clusters: clusters.data } : undefined,
    error: zones.error ?? clusters.error,
    refetch: () => Promise.all([zones.refetch(), clusters.refetch()]),
  };
  return (
    <FormDialog
      open={open}
      wide
      onClose={onClose}
      title="Add primary storage"
      schema={createStoragePoolInput}
      defaultValues={{
        zoneId: zoneId || zones.data?.[0]?.id || "",
        clusterId: null,
        name: "",
        type: "simulator",
        path: "",
        capacityGib: 1024,
        overprovisioning: 1,
        tags: [],
      }}
      waitFor={{ query: both, what: "zones and clusters" }}
      submitLabel="Create pool"
      onSubmit={(v) => client.storagePool.create.mutate(v)}
      invalidate={changes}
      success={(p) => `Storage pool ${p.name} added`}
    >
      {(f) => {
        const { zones: zs, clusters: cs } = both.data!;
        return (
          <div className="grid gap-4 sm:grid-cols-2">
            <SelectField
              form={f}
              name="zoneId"
              label="Zone"
              empty="Choose a zone…"
              options={zs.map((z) => ({ value: z.id, label: z.name }))}
              onChange={() => f.setValue("clusterId", null)}
            />
            <SelectField
              form={f}
              name="clusterId"
              label="Scope"
              hint="Zone-wide pools serve every cluster of the zone."
              empty="Zone-wide (all clusters)"
              emptyIsNull
              options={cs
                .filter((c) => c.zoneId === f.watch("zoneId"))
                .map((c) => ({ value: c.id, label: `Cluster ${c.name} (${c.podName})` }))}
            />
            <TextField form={f} name="name" label="Name" />
            <SelectField form={f} name="type" label="Type" options={options(poolTypeLabel, storagePoolTypes)} />
            <TextField form={f} name="path" label="Path" mono hint={pathHint[f.watch("type")]} />
            <NumberField form={f} name="capacityGib" label="Capacity (GiB)" min={1} hint="1 TiB = 1024 GiB" />
            <OverprovisioningField form={f} />
            <TagsField
              form={f}
              name="tags"
              label="Tags"
              className="sm:col-span-2"
              hint="Comma-separated, e.g. ssd; disk offerings with tags only use pools with every tag."
            />
          </div>
        );
      }}
    </FormDialog>
  );
}

function SecondaryStores({ zoneId, noZones }: { zoneId: string; noZones: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState({ sort: "name" });
  const list = useQuery(
    trpc.secondaryStore.list.queryOptions({ ...table.query, zoneId: zoneId || undefined }, { placeholderData: keepPreviousData }),
  );
  const zones = useZoneOptions();
  const [form, setForm] = useState<{ store: SecondaryStoreRow | null } | null>(null);
  const confirm = useConfirm();
  const remove = useResourceMutation({
    run: (s: SecondaryStoreRow) => client.secondaryStore.delete.mutate({ id: s.id }),
    invalidate: changes,
    success: (_, s) => `Secondary store ${s.name} deleted`,
    quietErrors: true,
  });
  const columns: Column<SecondaryStoreRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (s) => <TwoLine main={s.name} sub={s.path} mono /> },
    { key: "zoneName", header: "Zone", sortable: true, cell: (s) => s.zoneName },
    {
      key: "capacityGib",
      header: "Capacity",
      sortable: true,
      hideBelow: "sm",
      cell: (s) => <span className="tabular-nums">{formatGib(s.capacityGib)}</span>,
    },
  ];
  const store = form?.store;
  return (
    <section aria-labelledby="secondary-heading">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <h2 id="secondary-heading" className="text-lg font-semibold">
          Secondary storage
        </h2>
        <Button onClick={() => setForm({ store: null })} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
          Add secondary storage
        </Button>
      </div>
      <DataTable
        label="secondary stores"
        columns={columns}
        query={list}
        table={table}
        rowKey={(s) => s.id}
        rowName={(s) => `secondary store ${s.name}`}
        searchPlaceholder="Search by name, path or zone…"
        emptyTitle={zoneId ? "No secondary storage in this zone" : "No secondary storage yet"}
        emptyHint="Each zone needs secondary storage for its templates."
        rowActions={(s) => [
          { label: "Edit", onSelect: () => setForm({ store: s }) },
          {
            label: "Delete",
            danger: true,
            onSelect: () =>
              confirm.ask(
                deletion("secondary store", s.name, () => remove.mutateAsync(s), "A store that still holds templates cannot be deleted."),
              ),
          },
        ]}
      />
      {store ? (
        <FormDialog
          open
          onClose={() => setForm(null)}
          title={`Edit secondary store ${store.name}`}
          schema={updateSecondaryStoreInput.omit({ id: true }).required()}
          defaultValues={{ name: store.name, path: store.path, capacityGib: store.capacityGib }}
          submitLabel="Save changes"
          onSubmit={(v) => client.secondaryStore.update.mutate({ id: store.id, ...v })}
          invalidate={changes}
          success={(s) => `Secondary store ${s.name} saved`}
        >
          {(f) => (
            <>
              <ReadOnlyField label="Zone" value={store.zoneName} />
              <StoreFields form={f} />
            </>
          )}
        </FormDialog>
      ) : (
        <FormDialog
          open={form !== null}
          onClose={() => setForm(null)}
          title="Add secondary storage"
          schema={createSecondaryStoreInput}
          defaultValues={{ zoneId: zoneId || zones.data?.[0]?.id || "", name: "", path: "", capacityGib: 2048 }}
          submitLabel="Create store"
          onSubmit={(v) => client.secondaryStore.create.mutate(v)}
          invalidate={changes}
          success={(s) => `Secondary store ${s.name} added`}
        >
          {(f) => (
            <>
              <SelectField
                form={f}
                name="zoneId"
                label="Zone"
                empty="Choose a zone…"
                options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
              />
              <StoreFields form={f} />
            </>
          )}
        </FormDialog>
      )}
      {confirm.dialog}
    </section>
  );
}

type StoreValues = { name: string; path: string; capacityGib: number };

/** Name, path and capacity of the add and edit forms. */
function StoreFields<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  // Both forms have these fields; they differ only in the zone.
  const f = form as unknown as KitForm<StoreValues, StoreValues>;
  return (
    <>
      <TextField form={f} name="name" label="Name" />
      <TextField form={f} name="path" label="Path" mono hint="Where it lives, e.g. nfs://10.0.0.2/export/secondary or sim://secondary-2" />
      <NumberField form={f} name="capacityGib" label="Capacity (GiB)" min={1} hint="1 TiB = 1024 GiB" />
    </>
  );
}

/** Thin provisioning: how far volumes may be allocated past the pool's capacity. */
function OverprovisioningField<T extends { overprovisioning?: number }, O extends FieldValues>({ form }: { form: KitForm<T, O> }) {
  return (
    <NumberField
      form={form}
      name={"overprovisioning" as Path<T>}
      label="Over-provisioning factor"
      min={1}
      max={10}
      step={0.01}
      hint="Volumes may be allocated up to capacity × this (thin qcow2 disks grow as they are written)."
    />
  );
}
