"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { HostLoad } from "@/components/resource/instance-metrics";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, type Column, useTableState } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createHostInput, type HostState, hypervisorTypes, updateHostInput } from "@/lib/validation/infrastructure";
import {
  type ClusterRow,
  DeleteDialog,
  errorMessage,
  FilterSelect,
  formatMhz,
  formatMib,
  FormButtons,
  FormError,
  type HostRow,
  hypervisorLabel,
  idOrEmpty,
  infraCrumb,
  type InitialFilter,
  Notice,
  type NoticeValue,
  parentError,
  parseTags,
  RowActions,
  StateFilter,
  tagError,
  Tags,
  UsageBar,
  useClusterOptions,
  useRowDialogs,
  useZoneOptions,
  WhenLoaded,
} from "../_components/shared";

const stateText: Record<HostState, string> = { enabled: "enabled", disabled: "disabled", maintenance: "in maintenance" };

export function Hosts({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const table = useTableState({ sort: "name" });
  const [zoneId, setZoneId] = useState(idOrEmpty(initialFilter.zoneId));
  const [clusterId, setClusterId] = useState(idOrEmpty(initialFilter.clusterId));
  const [podId, setPodId] = useState(idOrEmpty(initialFilter.podId));
  const [state, setState] = useState("");
  const [notice, setNotice] = useState<NoticeValue>(null);
  const dialogs = useRowDialogs<HostRow>();
  /** The host whose details and load are shown (its fresh row from the list when there is one). */
  const [detailsOf, setDetailsOf] = useState<HostRow | null>(null);
  const zones = useZoneOptions();
  const clusters = useClusterOptions();
  const list = useQuery(
    trpc.host.list.queryOptions(
      {
        ...table.query,
        zoneId: zoneId || undefined,
        podId: podId || undefined,
        clusterId: clusterId || undefined,
        state: (state || undefined) as HostState | undefined,
      },
      { placeholderData: keepPreviousData },
    ),
  );
  const invalidateAll = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.host.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.cluster.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() }),
    ]);

  const setHostState = useMutation(
    trpc.host.setState.mutationOptions({
      onSuccess: async (h) => {
        await invalidateAll();
        setNotice({ tone: "ok", text: `Host ${h.name} is now ${stateText[h.state]}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.host.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name;
        dialogs.setDeleting(null);
        await invalidateAll();
        setNotice({ tone: "ok", text: `Host ${name} removed` });
      },
    }),
  );

  const columns: Column<HostRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (h) => (
        <div>
          {/* The name opens the host's details: libvirt's facts and its load. */}
          <button
            type="button"
            className="text-left font-medium text-brand-700 hover:underline"
            aria-label={`Details of host ${h.name}`}
            title="Details and load"
            onClick={() => setDetailsOf(h)}
          >
            {h.name}
          </button>
          <div className="font-mono text-xs text-slate-500">{h.address}</div>
        </div>
      ),
    },
    {
      key: "clusterName",
      header: "Cluster",
      sortable: true,
      cell: (h) => (
        <div>
          <div>{h.clusterName}</div>
          <div className="text-xs text-slate-500">
            {h.zoneName} / {h.podName}
          </div>
        </div>
      ),
    },
    { key: "hypervisorType", header: "Hypervisor", sortable: true, cell: (h) => <Badge tone="blue">{hypervisorLabel[h.hypervisorType] ?? h.hypervisorType}</Badge> },
    {
      key: "state",
      header: "State",
      sortable: true,
      cell: (h) => (
        <span className="flex flex-wrap gap-1">
          <StateBadge state={h.state} />
          {h.status !== "up" && <StateBadge state={h.status} />}
        </span>
      ),
    },
    {
      key: "cpuTotalMhz",
      header: "CPU",
      sortable: true,
      cell: (h) => (
        <div>
          <div className="mb-0.5 text-xs text-slate-600">
            {h.cpuCores} × {h.cpuMhz.toLocaleString("en-US")} MHz
            {h.cpuOvercommit !== 1 && <span className="text-slate-400"> × {h.cpuOvercommit}</span>}
          </div>
          <UsageBar compact label={`CPU of host ${h.name}`} used={h.cpuUsedMhz} total={h.cpuTotalMhz} format={formatMhz} />
        </div>
      ),
    },
    {
      key: "memoryTotalMib",
      header: "Memory",
      sortable: true,
      cell: (h) => (
        <div>
          <div className="mb-0.5 text-xs text-slate-600">
            {formatMib(h.memoryMib)}
            {h.memoryOvercommit !== 1 && <span className="text-slate-400"> × {h.memoryOvercommit}</span>}
          </div>
          <UsageBar compact label={`Memory of host ${h.name}`} used={h.memoryUsedMib} total={h.memoryTotalMib} format={formatMib} />
        </div>
      ),
    },
    { key: "tags", header: "Tags", cell: (h) => <Tags tags={h.tags} /> },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (h) => (
        <RowActions
          noun="host"
          row={h}
          maintenance
          busy={setHostState.isPending}
          onEdit={() => dialogs.setEditing(h)}
          onSetState={(s) => setHostState.mutate({ id: h.id, state: s })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(h);
          }}
        />
      ),
    },
  ];

  const clusterOptions = (clusters.data ?? []).filter((c) => !zoneId || c.zoneId === zoneId);
  const noClusters = clusters.data !== undefined && clusters.data.length === 0;
  return (
    <>
      <PageHeader
        title="Hosts"
        crumbs={[infraCrumb, { label: "Hosts" }]}
        description="Hypervisor hosts. Capacity shown is what the planner may reserve: physical CPU and memory times the cluster's over-provisioning factor. Put a host in maintenance before working on or removing it."
        actions={
          <Button onClick={() => dialogs.setCreating(true)} disabled={noClusters} title={noClusters ? "Add a cluster first" : undefined}>
            Add host
          </Button>
        }
      />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="hosts"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(h) => h.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name, address, cluster or tag…"
        emptyTitle={zoneId || clusterId || podId || state ? "No hosts match these filters" : "No hosts yet"}
        emptyHint={noClusters ? "Add a zone, a pod and a cluster first, then hosts in the cluster." : "Add a host to a cluster so VMs can run on it."}
        toolbar={
          <>
            {podId && (
              <Button variant="secondary" onClick={() => setPodId("")}>
                Showing one pod ({list.data?.items[0]?.podName ?? "…"}) ×<span className="sr-only"> clear pod filter</span>
              </Button>
            )}
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={zoneId}
              onChange={(v) => {
                setZoneId(v);
                setClusterId("");
                table.setPage(1);
              }}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <FilterSelect
              label="Filter by cluster"
              allLabel="All clusters"
              value={clusterId}
              onChange={(v) => {
                setClusterId(v);
                table.setPage(1);
              }}
              options={clusterOptions.map((c) => ({ value: c.id, label: `${c.name} (${c.zoneName})` }))}
            />
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
      <Dialog open={dialogs.creating} onClose={() => dialogs.setCreating(false)} title="Add host" wide>
        {dialogs.creating && (
          <NewHost defaultClusterId={clusterId} onClose={() => dialogs.setCreating(false)} onSaved={(n) => setNotice({ tone: "ok", text: `Host ${n} added` })} />
        )}
      </Dialog>
      <Dialog open={dialogs.editing !== null} onClose={() => dialogs.setEditing(null)} title={`Edit host ${dialogs.editing?.name ?? ""}`} wide>
        {dialogs.editing && (
          <EditHostForm
            key={dialogs.editing.id}
            host={dialogs.editing}
            onClose={() => dialogs.setEditing(null)}
            onSaved={(n) => setNotice({ tone: "ok", text: `Host ${n} saved` })}
          />
        )}
      </Dialog>
      <Dialog
        open={detailsOf !== null}
        onClose={() => setDetailsOf(null)}
        title={`Host ${detailsOf?.name ?? ""}`}
        extraWide
        footer={
          <Button variant="secondary" onClick={() => setDetailsOf(null)}>
            Close
          </Button>
        }
      >
        {detailsOf && <HostDetails host={list.data?.items.find((h) => h.id === detailsOf.id) ?? detailsOf} />}
      </Dialog>
      <DeleteDialog
        noun="host"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        hint="A host whose capacity VMs still reserve cannot be removed: put it in maintenance, then stop or destroy its VMs first."
      />
    </>
  );
}

function useHostSaved(onClose: () => void, onSaved: (name: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async (name: string) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.host.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.cluster.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() }),
    ]);
    onSaved(name);
    onClose();
  };
}

function NewHost({ defaultClusterId, onClose, onSaved }: { defaultClusterId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const clusters = useClusterOptions();
  return (
    <WhenLoaded query={clusters} what="clusters">
      {(list) => <CreateHostForm clusters={list} defaultClusterId={defaultClusterId} onClose={onClose} onSaved={onSaved} />}
    </WhenLoaded>
  );
}

const addressHint = {
  kvm: "A libvirt URI, e.g. qemu+ssh://root@10.0.0.5/system",
  simulator: "A label for the simulated host, e.g. sim://host-5",
} as const;

const createFields = ["clusterId", "hypervisorType", "name", "address", "cpuCores", "cpuMhz", "memoryMib", "tags", "domainType"] as const;

function CreateHostForm({
  clusters,
  defaultClusterId,
  onClose,
  onSaved,
}: {
  clusters: ClusterRow[];
  defaultClusterId: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const initialCluster = clusters.find((c) => c.id === defaultClusterId);
  const { register, handleSubmit, setError, setValue, watch, formState } = useForm({
    resolver: zodResolver(createHostInput),
    defaultValues: {
      clusterId: initialCluster?.id ?? "",
      hypervisorType: initialCluster?.hypervisorType ?? "kvm",
      name: "",
      address: "",
      cpuCores: 8,
      cpuMhz: 2400,
      memoryMib: 32768,
      tags: [] as string[],
      domainType: null as DomainType | null,
    },
  });
  const done = useHostSaved(onClose, onSaved);
  const create = useMutation(
    trpc.host.create.mutationOptions({ onSuccess: (h) => done(h.name), onError: (err) => setFormError(applyServerError(err, setError, createFields)) }),
  );
  const errors = formState.errors;
  const hypervisor = watch("hypervisorType");
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
        <Field label="Cluster" error={parentError(errors.clusterId, "cluster")}>
          {(id) => (
            <Select
              id={id}
              invalid={!!errors.clusterId}
              {...register("clusterId", {
                // A host runs its cluster's hypervisor: follow the chosen cluster.
                onChange: (e: React.ChangeEvent<HTMLSelectElement>) => {
                  const c = clusters.find((x) => x.id === e.target.value);
                  if (c) setValue("hypervisorType", c.hypervisorType, { shouldValidate: formState.isSubmitted });
                },
              })}
            >
              <option value="">Choose a cluster…</option>
              {clusters.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.zoneName} / {c.podName} / {c.name} ({hypervisorLabel[c.hypervisorType] ?? c.hypervisorType})
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Hypervisor" error={errors.hypervisorType?.message} hint="Must match the cluster's hypervisor.">
          {(id) => (
            <Select id={id} invalid={!!errors.hypervisorType} {...register("hypervisorType")}>
              {hypervisorTypes.map((h) => (
                <option key={h} value={h}>
                  {hypervisorLabel[h]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Name" error={errors.name?.message}>
          {(id) => <Input id={id} invalid={!!errors.name} {...register("name")} />}
        </Field>
        <Field label="Address" error={errors.address?.message} hint={addressHint[hypervisor]}>
          {(id) => <Input id={id} className="font-mono" invalid={!!errors.address} spellCheck={false} {...register("address")} />}
        </Field>
        <HardwareFields register={register} errors={errors} />
        {hypervisor === "kvm" && <DomainTypeField register={register} error={errors.domainType?.message} />}
      </div>
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={create.isPending} label="Create host" />
    </form>
  );
}

const editFields = ["name", "address", "cpuCores", "cpuMhz", "memoryMib", "tags", "domainType"] as const;
const editHostSchema = updateHostInput.omit({ id: true });

function EditHostForm({ host, onClose, onSaved }: { host: HostRow; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(editHostSchema),
    defaultValues: {
      name: host.name,
      address: host.address,
      cpuCores: host.cpuCores,
      cpuMhz: host.cpuMhz,
      memoryMib: host.memoryMib,
      tags: host.tags,
      domainType: host.domainType,
    },
  });
  const done = useHostSaved(onClose, onSaved);
  const update = useMutation(
    trpc.host.update.mutationOptions({ onSuccess: (h) => done(h.name), onError: (err) => setFormError(applyServerError(err, setError, editFields)) }),
  );
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        update.mutate({ id: host.id, ...v });
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Cluster">{(id) => <Input id={id} value={`${host.zoneName} / ${host.podName} / ${host.clusterName}`} disabled readOnly />}</Field>
        <Field label="Hypervisor">{(id) => <Input id={id} value={hypervisorLabel[host.hypervisorType] ?? host.hypervisorType} disabled readOnly />}</Field>
        <Field label="Name" error={errors.name?.message}>
          {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
        </Field>
        <Field label="Address" error={errors.address?.message} hint={addressHint[host.hypervisorType]}>
          {(id) => <Input id={id} className="font-mono" invalid={!!errors.address} spellCheck={false} {...register("address")} />}
        </Field>
        <HardwareFields register={register} errors={errors} />
        {host.hypervisorType === "kvm" && <DomainTypeField register={register} error={errors.domainType?.message} host={host} />}
      </div>
      {(host.cpuUsedMhz > 0 || host.memoryUsedMib > 0) && (
        <p className="text-xs text-slate-500">
          VMs reserve {formatMhz(host.cpuUsedMhz)} of CPU and {formatMib(host.memoryUsedMib)} of memory here; capacity cannot go below that.
        </p>
      )}
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={update.isPending} label="Save changes" />
    </form>
  );
}

type HardwareField = "cpuCores" | "cpuMhz" | "memoryMib" | "tags";

/** CPU, memory and tags inputs, shared by the add and edit forms. */
function HardwareFields({
  register,
  errors,
}: {
  register: (name: HardwareField, o: { valueAsNumber: true } | { setValueAs: (v: unknown) => unknown }) => object;
  errors: Partial<Record<HardwareField, unknown>> & { cpuCores?: { message?: string }; cpuMhz?: { message?: string }; memoryMib?: { message?: string } };
}) {
  return (
    <>
      <Field label="CPU cores" error={errors.cpuCores?.message}>
        {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.cpuCores} {...register("cpuCores", { valueAsNumber: true })} />}
      </Field>
      <Field label="CPU MHz" error={errors.cpuMhz?.message} hint="Speed of one core">
        {(id) => <Input id={id} type="number" min={1} step={100} invalid={!!errors.cpuMhz} {...register("cpuMhz", { valueAsNumber: true })} />}
      </Field>
      <Field label="Memory (MiB)" error={errors.memoryMib?.message} hint="1 GiB = 1024 MiB">
        {(id) => <Input id={id} type="number" min={1} step={1024} invalid={!!errors.memoryMib} {...register("memoryMib", { valueAsNumber: true })} />}
      </Field>
      <Field label="Tags" error={tagError(errors.tags)} hint="Comma-separated, e.g. ssd, gpu; offerings with host tags only go to hosts with every tag.">
        {(id) => <Input id={id} placeholder="ssd, gpu" invalid={!!errors.tags} {...register("tags", { setValueAs: parseTags })} />}
      </Field>
    </>
  );
}

type DomainType = NonNullable<HostRow["domainType"]>;

/** The domain type VMs get on a KVM host: the admin's override, else kvm when acceleration works. */
const effectiveDomainType = (h: Pick<HostRow, "domainType" | "kvmAccelerated">): DomainType => h.domainType ?? (h.kvmAccelerated ? "kvm" : "qemu");

/** libvirt domain type override of a KVM host: automatic (empty → null), kvm or qemu (TCG). */
function DomainTypeField({
  register,
  error,
  host,
}: {
  register: (name: "domainType", o: { setValueAs: (v: unknown) => unknown }) => object;
  error?: string;
  host?: Pick<HostRow, "domainType" | "kvmAccelerated">;
}) {
  const auto = host ? `Automatic uses ${effectiveDomainType({ domainType: null, kvmAccelerated: host.kvmAccelerated })} on this host (KVM acceleration ${host.kvmAccelerated ? "works" : "is not available"}).` : "Automatic: kvm where KVM acceleration works, else qemu.";
  return (
    <Field label="Domain type" error={error} hint={`How libvirt runs this host's VMs. ${auto}`}>
      {(id) => (
        <Select id={id} invalid={!!error} {...register("domainType", { setValueAs: (v: unknown) => (v === "" || v == null ? null : v) })}>
          <option value="">Automatic</option>
          <option value="kvm">kvm (hardware acceleration)</option>
          <option value="qemu">qemu (TCG emulation, slow)</option>
        </Select>
      )}
    </Field>
  );
}

/** A host's facts (what libvirt reported when it was added) and its load over the last hours. */
function HostDetails({ host }: { host: HostRow }) {
  const kvm = host.hypervisorType === "kvm";
  const na = <span className="text-slate-400">—</span>;
  return (
    <div className="space-y-4">
      <dl data-testid="host-facts" className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <Fact label="Address">
          <span className="break-all font-mono text-xs">{host.address}</span>
        </Fact>
        <Fact label="State">
          <span className="flex flex-wrap gap-1">
            <StateBadge state={host.state} />
            <StateBadge state={host.status} />
          </span>
        </Fact>
        <Fact label="Last seen">{host.lastSeenAt ? <span title={formatDateTime(host.lastSeenAt)}>{formatRelative(host.lastSeenAt)}</span> : na}</Fact>
        <Fact label="Cluster">
          {host.zoneName} / {host.podName} / {host.clusterName}
        </Fact>
        <Fact label="CPU">
          {host.cpuCores} × {host.cpuMhz.toLocaleString("en-US")} MHz
          {host.cpuModel && <span className="block text-xs text-slate-500">{host.cpuModel}</span>}
        </Fact>
        <Fact label="Memory">{formatMib(host.memoryMib)}</Fact>
        {kvm && (
          <>
            <Fact label="Versions">
              {host.hypervisorVersion ?? na}
              {host.libvirtVersion && <span className="block text-xs text-slate-500">libvirt {host.libvirtVersion}</span>}
            </Fact>
            <Fact label="Domain type">
              <span data-testid="host-domain-type">{effectiveDomainType(host)}</span>
              <span className="block text-xs text-slate-500">
                {host.domainType ? "set by an admin" : "automatic"}; KVM acceleration {host.kvmAccelerated ? "works" : host.kvmAccelerated === false ? "is not available" : "unknown"}
              </span>
            </Fact>
          </>
        )}
      </dl>
      <section aria-label={`Load of host ${host.name}`}>
        <h3 className="mb-2 text-sm font-semibold text-slate-800">Load, last 6 hours</h3>
        <HostLoad hostId={host.id} />
      </section>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 text-slate-700">{children}</dd>
    </div>
  );
}
