"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, type Column, useTableState } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import {
  createSecondaryStoreInput,
  createStoragePoolInput,
  type HostState,
  storagePoolTypes,
  updateSecondaryStoreInput,
  updateStoragePoolInput,
} from "@/lib/validation/infrastructure";
import {
  type ClusterRow,
  DeleteDialog,
  errorMessage,
  FilterSelect,
  formatGib,
  FormButtons,
  FormError,
  idOrEmpty,
  infraCrumb,
  type InitialFilter,
  Notice,
  type NoticeValue,
  parentError,
  parseTags,
  RowActions,
  type SecondaryStoreRow,
  StateFilter,
  type StoragePoolRow,
  tagError,
  Tags,
  UsageBar,
  useClusterOptions,
  useRowDialogs,
  useZoneOptions,
  WhenLoaded,
  type ZoneRow,
} from "../_components/shared";

const poolTypeLabel: Record<string, string> = { simulator: "Simulator", local_dir: "Local directory" };
const stateText: Record<HostState, string> = { enabled: "enabled", disabled: "disabled", maintenance: "in maintenance" };

/** Primary storage pools (VM disks) and secondary stores (templates) on one page. */
export function Storage({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const [zoneId, setZoneId] = useState(idOrEmpty(initialFilter.zoneId));
  const [notice, setNotice] = useState<NoticeValue>(null);
  const zones = useZoneOptions();
  const noZones = zones.data !== undefined && zones.data.length === 0;
  return (
    <>
      <PageHeader
        title="Storage"
        crumbs={[infraCrumb, { label: "Storage" }]}
        description="Primary storage holds VM disks, for a whole zone or one cluster; secondary storage holds templates for a zone."
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
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <PrimaryPools zoneId={zoneId} initialClusterId={idOrEmpty(initialFilter.clusterId)} noZones={noZones} setNotice={setNotice} />
      <SecondaryStores zoneId={zoneId} noZones={noZones} setNotice={setNotice} />
    </>
  );
}

/** Refetches what a storage change affects: both tables, and the cluster and zone counts. */
function useStorageRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.storagePool.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.secondaryStore.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.cluster.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() }),
    ]);
}

function useStorageSaved(onClose: () => void, onSaved: (name: string) => void) {
  const refresh = useStorageRefresh();
  return async (name: string) => {
    await refresh();
    onSaved(name);
    onClose();
  };
}

// Primary storage

function PrimaryPools({
  zoneId,
  initialClusterId,
  noZones,
  setNotice,
}: {
  zoneId: string;
  initialClusterId: string;
  noZones: boolean;
  setNotice: (n: NoticeValue) => void;
}) {
  const trpc = useTRPC();
  const [clusterId, setClusterId] = useState(initialClusterId);
  const table = useTableState({ sort: "name" });
  const [state, setState] = useState("");
  const dialogs = useRowDialogs<StoragePoolRow>();
  const list = useQuery(
    trpc.storagePool.list.queryOptions(
      { ...table.query, zoneId: zoneId || undefined, clusterId: clusterId || undefined, state: (state || undefined) as HostState | undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  const refresh = useStorageRefresh();
  const setPoolState = useMutation(
    trpc.storagePool.setState.mutationOptions({
      onSuccess: async (p) => {
        await refresh();
        setNotice({ tone: "ok", text: `Storage pool ${p.name} is now ${stateText[p.state]}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.storagePool.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name ?? "";
        dialogs.setDeleting(null);
        await refresh();
        setNotice({ tone: "ok", text: `Storage pool ${name} deleted` });
      },
    }),
  );

  const columns: Column<StoragePoolRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (p) => (
        <div>
          <div className="font-medium text-slate-900">{p.name}</div>
          <div className="font-mono text-xs text-slate-500">{p.path}</div>
        </div>
      ),
    },
    {
      key: "clusterName",
      header: "Scope",
      sortable: true,
      cell: (p) =>
        p.clusterName === null ? (
          <span>
            <Badge tone="blue">Zone-wide</Badge> <span className="text-slate-600">{p.zoneName}</span>
          </span>
        ) : (
          <span>
            <span className="text-slate-500">Cluster</span> {p.clusterName} <span className="text-xs text-slate-500">({p.zoneName})</span>
          </span>
        ),
    },
    { key: "type", header: "Type", sortable: true, cell: (p) => poolTypeLabel[p.type] ?? p.type },
    {
      key: "usedGib",
      header: "Capacity",
      sortable: true,
      cell: (p) => <UsageBar compact label={`Capacity of storage pool ${p.name}`} used={p.usedGib} total={p.capacityGib} format={formatGib} />,
    },
    { key: "tags", header: "Tags", cell: (p) => <Tags tags={p.tags} /> },
    { key: "state", header: "State", sortable: true, cell: (p) => <StateBadge state={p.state} /> },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (p) => (
        <RowActions
          noun="storage pool"
          row={p}
          maintenance
          busy={setPoolState.isPending}
          onEdit={() => dialogs.setEditing(p)}
          onSetState={(s) => setPoolState.mutate({ id: p.id, state: s })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(p);
          }}
        />
      ),
    },
  ];

  return (
    <section aria-labelledby="primary-heading" className="mb-8">
      <div className="mb-3 flex items-center justify-between gap-3">
        <h2 id="primary-heading" className="text-lg font-semibold">
          Primary storage
        </h2>
        <Button onClick={() => dialogs.setCreating(true)} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
          Add primary storage
        </Button>
      </div>
      <DataTable
        label="primary storage pools"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(p) => p.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name, path, zone, cluster or tag…"
        emptyTitle={zoneId || clusterId || state ? "No primary storage matches these filters" : "No primary storage yet"}
        emptyHint="VMs need primary storage for their disks: add a pool for a zone or a cluster."
        toolbar={
          <>
            {clusterId && (
              <Button variant="secondary" onClick={() => setClusterId("")}>
                Showing one cluster ({list.data?.items[0]?.clusterName ?? "…"}) ×<span className="sr-only"> clear cluster filter</span>
              </Button>
            )}
            <StateFilter
              maintenance
              value={state}
              onChange={(v) => {
                setState(v);
                table.setPage(1);
              }}
            />
          </>
        }
      />
      <Dialog open={dialogs.creating} onClose={() => dialogs.setCreating(false)} title="Add primary storage" wide>
        {dialogs.creating && (
          <NewPool defaultZoneId={zoneId} onClose={() => dialogs.setCreating(false)} onSaved={(n) => setNotice({ tone: "ok", text: `Storage pool ${n} added` })} />
        )}
      </Dialog>
      <Dialog open={dialogs.editing !== null} onClose={() => dialogs.setEditing(null)} title={`Edit storage pool ${dialogs.editing?.name ?? ""}`} wide>
        {dialogs.editing && (
          <EditPoolForm
            key={dialogs.editing.id}
            pool={dialogs.editing}
            onClose={() => dialogs.setEditing(null)}
            onSaved={(n) => setNotice({ tone: "ok", text: `Storage pool ${n} saved` })}
          />
        )}
      </Dialog>
      <DeleteDialog
        noun="storage pool"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        hint="A pool that VM disks still use cannot be deleted: put it in maintenance, then destroy and expunge the VMs whose disks it holds."
      />
    </section>
  );
}

function NewPool({ defaultZoneId, onClose, onSaved }: { defaultZoneId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const zones = useZoneOptions();
  const clusters = useClusterOptions();
  const both = {
    data: zones.data && clusters.data ? { zones: zones.data, clusters: clusters.data } : undefined,
    error: zones.error ?? clusters.error,
    isPending: zones.isPending || clusters.isPending,
    refetch: () => Promise.all([zones.refetch(), clusters.refetch()]),
  };
  return (
    <WhenLoaded query={both} what="zones and clusters">
      {(d) => <CreatePoolForm zones={d.zones} clusters={d.clusters} defaultZoneId={defaultZoneId} onClose={onClose} onSaved={onSaved} />}
    </WhenLoaded>
  );
}

const poolCreateFields = ["zoneId", "clusterId", "name", "type", "path", "capacityGib", "tags"] as const;
const pathHint = {
  simulator: "A label for the simulated pool, e.g. sim://primary-2",
  local_dir: "An absolute directory on every host of the scope, e.g. /var/lib/stratus/pool1",
} as const;

function CreatePoolForm({
  zones,
  clusters,
  defaultZoneId,
  onClose,
  onSaved,
}: {
  zones: ZoneRow[];
  clusters: ClusterRow[];
  defaultZoneId: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, setValue, watch, formState } = useForm({
    resolver: zodResolver(createStoragePoolInput),
    defaultValues: {
      zoneId: zones.some((z) => z.id === defaultZoneId) ? defaultZoneId : (zones[0]?.id ?? ""),
      clusterId: null as string | null,
      name: "",
      type: "simulator" as const,
      path: "",
      capacityGib: 1024,
      tags: [] as string[],
    },
  });
  const done = useStorageSaved(onClose, onSaved);
  const create = useMutation(
    trpc.storagePool.create.mutationOptions({ onSuccess: (p) => done(p.name), onError: (err) => setFormError(applyServerError(err, setError, poolCreateFields)) }),
  );
  const errors = formState.errors;
  const zoneId = watch("zoneId");
  const type = watch("type");
  const zoneClusters = clusters.filter((c) => c.zoneId === zoneId);
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        create.mutate(v);
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Zone" error={parentError(errors.zoneId, "zone")}>
          {(id) => (
            <Select id={id} invalid={!!errors.zoneId} {...register("zoneId", { onChange: () => setValue("clusterId", null) })}>
              <option value="">Choose a zone…</option>
              {zones.map((z) => (
                <option key={z.id} value={z.id}>
                  {z.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Scope" error={errors.clusterId?.message} hint="Zone-wide pools serve every cluster of the zone.">
          {(id) => (
            <Select id={id} invalid={!!errors.clusterId} {...register("clusterId", { setValueAs: (v: unknown) => (v === "" || v == null ? null : v) })}>
              <option value="">Zone-wide (all clusters)</option>
              {zoneClusters.map((c) => (
                <option key={c.id} value={c.id}>
                  Cluster {c.name} ({c.podName})
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Name" error={errors.name?.message}>
          {(id) => <Input id={id} invalid={!!errors.name} {...register("name")} />}
        </Field>
        <Field label="Type" error={errors.type?.message}>
          {(id) => (
            <Select id={id} invalid={!!errors.type} {...register("type")}>
              {storagePoolTypes.map((t) => (
                <option key={t} value={t}>
                  {poolTypeLabel[t]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Path" error={errors.path?.message} hint={pathHint[type]}>
          {(id) => <Input id={id} className="font-mono" spellCheck={false} invalid={!!errors.path} {...register("path")} />}
        </Field>
        <Field label="Capacity (GiB)" error={errors.capacityGib?.message} hint="1 TiB = 1024 GiB">
          {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.capacityGib} {...register("capacityGib", { valueAsNumber: true })} />}
        </Field>
        <Field label="Tags" error={tagError(errors.tags)} hint="Comma-separated, e.g. ssd; disk offerings with tags only use pools with every tag." className="sm:col-span-2">
          {(id) => <Input id={id} placeholder="ssd" invalid={!!errors.tags} {...register("tags", { setValueAs: parseTags })} />}
        </Field>
      </div>
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={create.isPending} label="Create pool" />
    </form>
  );
}

const poolEditFields = ["name", "path", "capacityGib", "tags"] as const;
const editPoolSchema = updateStoragePoolInput.omit({ id: true });

function EditPoolForm({ pool, onClose, onSaved }: { pool: StoragePoolRow; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(editPoolSchema),
    defaultValues: { name: pool.name, path: pool.path, capacityGib: pool.capacityGib, tags: pool.tags },
  });
  const done = useStorageSaved(onClose, onSaved);
  const update = useMutation(
    trpc.storagePool.update.mutationOptions({ onSuccess: (p) => done(p.name), onError: (err) => setFormError(applyServerError(err, setError, poolEditFields)) }),
  );
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        update.mutate({ id: pool.id, ...v });
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Scope">
          {(id) => <Input id={id} value={pool.clusterName === null ? `Zone-wide (${pool.zoneName})` : `Cluster ${pool.clusterName} (${pool.zoneName})`} disabled readOnly />}
        </Field>
        <Field label="Type">{(id) => <Input id={id} value={poolTypeLabel[pool.type] ?? pool.type} disabled readOnly />}</Field>
        <Field label="Name" error={errors.name?.message}>
          {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
        </Field>
        <Field label="Path" error={errors.path?.message} hint={pathHint[pool.type]}>
          {(id) => <Input id={id} className="font-mono" spellCheck={false} invalid={!!errors.path} {...register("path")} />}
        </Field>
        <Field
          label="Capacity (GiB)"
          error={errors.capacityGib?.message}
          hint={pool.usedGib > 0 ? `VM disks use ${formatGib(pool.usedGib)}; capacity cannot go below that.` : "1 TiB = 1024 GiB"}
        >
          {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.capacityGib} {...register("capacityGib", { valueAsNumber: true })} />}
        </Field>
        <Field label="Tags" error={tagError(errors.tags)} hint="Comma-separated">
          {(id) => <Input id={id} invalid={!!errors.tags} {...register("tags", { setValueAs: parseTags })} />}
        </Field>
      </div>
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={update.isPending} label="Save changes" />
    </form>
  );
}

// Secondary storage

function SecondaryStores({ zoneId, noZones, setNotice }: { zoneId: string; noZones: boolean; setNotice: (n: NoticeValue) => void }) {
  const trpc = useTRPC();
  const table = useTableState({ sort: "name" });
  const dialogs = useRowDialogs<SecondaryStoreRow>();
  const list = useQuery(trpc.secondaryStore.list.queryOptions({ ...table.query, zoneId: zoneId || undefined }, { placeholderData: keepPreviousData }));
  const refresh = useStorageRefresh();
  const remove = useMutation(
    trpc.secondaryStore.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name ?? "";
        dialogs.setDeleting(null);
        await refresh();
        setNotice({ tone: "ok", text: `Secondary store ${name} deleted` });
      },
    }),
  );
  const columns: Column<SecondaryStoreRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (s) => <span className="font-medium text-slate-900">{s.name}</span> },
    { key: "zoneName", header: "Zone", sortable: true, cell: (s) => s.zoneName },
    { key: "path", header: "Path", sortable: true, cell: (s) => <span className="font-mono text-xs">{s.path}</span> },
    { key: "capacityGib", header: "Capacity", sortable: true, cell: (s) => <span className="tabular-nums">{formatGib(s.capacityGib)}</span> },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (s) => (
        <RowActions
          noun="secondary store"
          row={s}
          onEdit={() => dialogs.setEditing(s)}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(s);
          }}
        />
      ),
    },
  ];
  return (
    <section aria-labelledby="secondary-heading">
      <div className="mb-3 flex items-center justify-between gap-3">
        <h2 id="secondary-heading" className="text-lg font-semibold">
          Secondary storage
        </h2>
        <Button onClick={() => dialogs.setCreating(true)} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
          Add secondary storage
        </Button>
      </div>
      <DataTable
        label="secondary stores"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(s) => s.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name, path or zone…"
        emptyTitle={zoneId ? "No secondary storage in this zone" : "No secondary storage yet"}
        emptyHint="Each zone needs secondary storage for its templates."
      />
      <Dialog
        open={dialogs.creating || dialogs.editing !== null}
        onClose={() => (dialogs.editing ? dialogs.setEditing(null) : dialogs.setCreating(false))}
        title={dialogs.editing ? `Edit secondary store ${dialogs.editing.name}` : "Add secondary storage"}
      >
        {dialogs.editing ? (
          <EditStoreForm
            key={dialogs.editing.id}
            store={dialogs.editing}
            onClose={() => dialogs.setEditing(null)}
            onSaved={(n) => setNotice({ tone: "ok", text: `Secondary store ${n} saved` })}
          />
        ) : (
          dialogs.creating && (
            <NewSecondaryStore defaultZoneId={zoneId} onClose={() => dialogs.setCreating(false)} onSaved={(n) => setNotice({ tone: "ok", text: `Secondary store ${n} added` })} />
          )
        )}
      </Dialog>
      <DeleteDialog
        noun="secondary store"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
      />
    </section>
  );
}

function NewSecondaryStore({ defaultZoneId, onClose, onSaved }: { defaultZoneId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const zones = useZoneOptions();
  return (
    <WhenLoaded query={zones} what="zones">
      {(list) => <CreateStoreForm zones={list} defaultZoneId={defaultZoneId} onClose={onClose} onSaved={onSaved} />}
    </WhenLoaded>
  );
}

const storeCreateFields = ["zoneId", "name", "path", "capacityGib"] as const;
const storeEditFields = ["name", "path", "capacityGib"] as const;
const editStoreSchema = updateSecondaryStoreInput.omit({ id: true });

function CreateStoreForm({
  zones,
  defaultZoneId,
  onClose,
  onSaved,
}: {
  zones: ZoneRow[];
  defaultZoneId: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(createSecondaryStoreInput),
    defaultValues: {
      zoneId: zones.some((z) => z.id === defaultZoneId) ? defaultZoneId : (zones[0]?.id ?? ""),
      name: "",
      path: "",
      capacityGib: 2048,
    },
  });
  const done = useStorageSaved(onClose, onSaved);
  const create = useMutation(
    trpc.secondaryStore.create.mutationOptions({ onSuccess: (s) => done(s.name), onError: (err) => setFormError(applyServerError(err, setError, storeCreateFields)) }),
  );
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        create.mutate(v);
      })}
    >
      <Field label="Zone" error={parentError(errors.zoneId, "zone")}>
        {(id) => (
          <Select id={id} invalid={!!errors.zoneId} {...register("zoneId")}>
            <option value="">Choose a zone…</option>
            {zones.map((z) => (
              <option key={z.id} value={z.id}>
                {z.name}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <StoreFields register={register} errors={errors} />
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={create.isPending} label="Create store" />
    </form>
  );
}

function EditStoreForm({ store, onClose, onSaved }: { store: SecondaryStoreRow; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(editStoreSchema),
    defaultValues: { name: store.name, path: store.path, capacityGib: store.capacityGib },
  });
  const done = useStorageSaved(onClose, onSaved);
  const update = useMutation(
    trpc.secondaryStore.update.mutationOptions({ onSuccess: (s) => done(s.name), onError: (err) => setFormError(applyServerError(err, setError, storeEditFields)) }),
  );
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        update.mutate({ id: store.id, ...v });
      })}
    >
      <Field label="Zone">{(id) => <Input id={id} value={store.zoneName} disabled readOnly />}</Field>
      <StoreFields register={register} errors={errors} />
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={update.isPending} label="Save changes" />
    </form>
  );
}

type StoreField = "name" | "path" | "capacityGib";

/** Name, path and capacity inputs, shared by the add and edit forms. */
function StoreFields({
  register,
  errors,
}: {
  register: (name: StoreField, o?: { valueAsNumber: true }) => object;
  errors: Partial<Record<StoreField, { message?: string }>>;
}) {
  return (
    <>
      <Field label="Name" error={errors.name?.message}>
        {(id) => <Input id={id} invalid={!!errors.name} {...register("name")} />}
      </Field>
      <Field label="Path" error={errors.path?.message} hint="Where it lives, e.g. nfs://10.0.0.2/export/secondary or sim://secondary-2">
        {(id) => <Input id={id} className="font-mono" spellCheck={false} invalid={!!errors.path} {...register("path")} />}
      </Field>
      <Field label="Capacity (GiB)" error={errors.capacityGib?.message} hint="1 TiB = 1024 GiB">
        {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.capacityGib} {...register("capacityGib", { valueAsNumber: true })} />}
      </Field>
    </>
  );
}
