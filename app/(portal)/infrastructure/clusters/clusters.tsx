"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
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
import { createClusterInput, hypervisorTypes, updateClusterInput } from "@/lib/validation/infrastructure";
import {
  type ClusterRow,
  Count,
  DeleteDialog,
  errorMessage,
  FilterSelect,
  formatFactor,
  formatMhz,
  formatMib,
  FormButtons,
  FormError,
  hypervisorLabel,
  idOrEmpty,
  infraCrumb,
  type InitialFilter,
  Notice,
  type NoticeValue,
  parentError,
  type PodRow,
  RowActions,
  StateFilter,
  UsageBar,
  usePodOptions,
  useRowDialogs,
  useZoneOptions,
  WhenLoaded,
} from "../_components/shared";

export function Clusters({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const table = useTableState({ sort: "name" });
  const [zoneId, setZoneId] = useState(idOrEmpty(initialFilter.zoneId));
  const [podId, setPodId] = useState(idOrEmpty(initialFilter.podId));
  const [state, setState] = useState("");
  const [notice, setNotice] = useState<NoticeValue>(null);
  const dialogs = useRowDialogs<ClusterRow>();
  const zones = useZoneOptions();
  const pods = usePodOptions();
  const list = useQuery(
    trpc.cluster.list.queryOptions(
      {
        ...table.query,
        zoneId: zoneId || undefined,
        podId: podId || undefined,
        state: (state || undefined) as "enabled" | "disabled" | undefined,
      },
      { placeholderData: keepPreviousData },
    ),
  );
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.cluster.pathKey() });

  const setClusterState = useMutation(
    trpc.cluster.setState.mutationOptions({
      onSuccess: async (c) => {
        await invalidate();
        setNotice({ tone: "ok", text: `Cluster ${c.name} is now ${c.state}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.cluster.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name;
        dialogs.setDeleting(null);
        await Promise.all([invalidate(), queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() })]);
        setNotice({ tone: "ok", text: `Cluster ${name} deleted` });
      },
    }),
  );

  const columns: Column<ClusterRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (c) => <span className="font-medium text-slate-900">{c.name}</span> },
    {
      key: "podName",
      header: "Pod / zone",
      sortable: true,
      cell: (c) => (
        <span>
          {c.podName} <span className="text-slate-400">/</span> {c.zoneName}
        </span>
      ),
    },
    { key: "hypervisorType", header: "Hypervisor", sortable: true, cell: (c) => <Badge tone="blue">{hypervisorLabel[c.hypervisorType] ?? c.hypervisorType}</Badge> },
    {
      key: "cpuOvercommit",
      header: "Over-provisioning",
      sortable: true,
      cell: (c) => (
        <span className="text-xs whitespace-nowrap text-slate-600">
          CPU {formatFactor(c.cpuOvercommit)} · memory {formatFactor(c.memoryOvercommit)}
        </span>
      ),
    },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (c) => (
        <Link href={`/infrastructure/hosts?clusterId=${c.id}`} className="hover:underline" aria-label={`Hosts of cluster ${c.name}`}>
          <Count n={c.hostCount} label="hosts" />
        </Link>
      ),
    },
    { key: "cpu", header: "CPU", cell: (c) => <UsageBar compact label={`CPU of cluster ${c.name}`} used={c.cpuUsedMhz} total={c.cpuTotalMhz} format={formatMhz} /> },
    {
      key: "memory",
      header: "Memory",
      cell: (c) => <UsageBar compact label={`Memory of cluster ${c.name}`} used={c.memoryUsedMib} total={c.memoryTotalMib} format={formatMib} />,
    },
    { key: "state", header: "State", sortable: true, cell: (c) => <StateBadge state={c.state} /> },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (c) => (
        <RowActions
          noun="cluster"
          row={c}
          busy={setClusterState.isPending}
          onEdit={() => dialogs.setEditing(c)}
          onSetState={(s) => setClusterState.mutate({ id: c.id, state: s === "enabled" ? "enabled" : "disabled" })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(c);
          }}
        />
      ),
    },
  ];

  const podOptions = (pods.data ?? []).filter((p) => !zoneId || p.zoneId === zoneId);
  const noPods = pods.data !== undefined && pods.data.length === 0;
  return (
    <>
      <PageHeader
        title="Clusters"
        crumbs={[infraCrumb, { label: "Clusters" }]}
        description="A cluster groups hosts of one hypervisor type within a pod. Its over-provisioning factors multiply its hosts' CPU and memory for the planner (a factor of 2 lets VMs reserve twice the physical capacity)."
        actions={
          <Button onClick={() => dialogs.setCreating(true)} disabled={noPods} title={noPods ? "Add a pod first" : undefined}>
            Add cluster
          </Button>
        }
      />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="clusters"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(c) => c.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by cluster, pod or zone…"
        emptyTitle={zoneId || podId || state ? "No clusters match these filters" : "No clusters yet"}
        emptyHint={noPods ? "Add a zone and a pod first, then clusters in the pod." : "Add a cluster to a pod, then hosts to the cluster."}
        toolbar={
          <>
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={zoneId}
              onChange={(v) => {
                setZoneId(v);
                setPodId("");
                table.setPage(1);
              }}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <FilterSelect
              label="Filter by pod"
              allLabel="All pods"
              value={podId}
              onChange={(v) => {
                setPodId(v);
                table.setPage(1);
              }}
              options={podOptions.map((p) => ({ value: p.id, label: `${p.name} (${p.zoneName})` }))}
            />
            <StateFilter
              value={state}
              onChange={(v) => {
                setState(v);
                table.setPage(1);
              }}
            />
          </>
        }
      />
      <ClusterDialog
        open={dialogs.creating}
        defaultPodId={podId}
        onClose={() => dialogs.setCreating(false)}
        onSaved={(n) => setNotice({ tone: "ok", text: `Cluster ${n} created` })}
      />
      <ClusterDialog
        open={dialogs.editing !== null}
        cluster={dialogs.editing}
        onClose={() => dialogs.setEditing(null)}
        onSaved={(n) => setNotice({ tone: "ok", text: `Cluster ${n} saved` })}
      />
      <DeleteDialog
        noun="cluster"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        hint="A cluster can only be deleted once its hosts and cluster-scoped storage pools are gone."
      />
    </>
  );
}

function ClusterDialog({
  open,
  cluster,
  defaultPodId,
  onClose,
  onSaved,
}: {
  open: boolean;
  cluster?: ClusterRow | null;
  defaultPodId?: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={cluster ? `Edit cluster ${cluster.name}` : "Add cluster"}>
      {open && (cluster ? <EditClusterForm key={cluster.id} cluster={cluster} onClose={onClose} onSaved={onSaved} /> : <NewCluster defaultPodId={defaultPodId ?? ""} onClose={onClose} onSaved={onSaved} />)}
    </Dialog>
  );
}

function NewCluster({ defaultPodId, onClose, onSaved }: { defaultPodId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const pods = usePodOptions();
  return (
    <WhenLoaded query={pods} what="pods">
      {(list) => <CreateClusterForm pods={list} defaultPodId={defaultPodId} onClose={onClose} onSaved={onSaved} />}
    </WhenLoaded>
  );
}

const createFields = ["podId", "name", "hypervisorType", "cpuOvercommit", "memoryOvercommit"] as const;

function useClusterSaved(onClose: () => void, onSaved: (name: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async (name: string) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.cluster.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() }),
    ]);
    onSaved(name);
    onClose();
  };
}

function CreateClusterForm({ pods, defaultPodId, onClose, onSaved }: { pods: PodRow[]; defaultPodId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(createClusterInput),
    defaultValues: { podId: defaultPodId, name: "", hypervisorType: "kvm" as const, cpuOvercommit: 1, memoryOvercommit: 1 },
  });
  const done = useClusterSaved(onClose, onSaved);
  const create = useMutation(
    trpc.cluster.create.mutationOptions({ onSuccess: (c) => done(c.name), onError: (err) => setFormError(applyServerError(err, setError, createFields)) }),
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
      <Field label="Pod" error={parentError(errors.podId, "pod")}>
        {(id) => (
          <Select id={id} invalid={!!errors.podId} {...register("podId")}>
            <option value="">Choose a pod…</option>
            {pods.map((p) => (
              <option key={p.id} value={p.id}>
                {p.zoneName} / {p.name}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Name" error={errors.name?.message}>
        {(id) => <Input id={id} invalid={!!errors.name} {...register("name")} />}
      </Field>
      <Field label="Hypervisor" error={errors.hypervisorType?.message} hint="Every host of the cluster must run this hypervisor.">
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
      <OvercommitFields register={register} errors={errors} />
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={create.isPending} label="Create cluster" />
    </form>
  );
}

const editFields = ["name", "cpuOvercommit", "memoryOvercommit"] as const;
const editClusterSchema = updateClusterInput.omit({ id: true });

function EditClusterForm({ cluster, onClose, onSaved }: { cluster: ClusterRow; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(editClusterSchema),
    defaultValues: { name: cluster.name, cpuOvercommit: cluster.cpuOvercommit, memoryOvercommit: cluster.memoryOvercommit },
  });
  const done = useClusterSaved(onClose, onSaved);
  const update = useMutation(
    trpc.cluster.update.mutationOptions({ onSuccess: (c) => done(c.name), onError: (err) => setFormError(applyServerError(err, setError, editFields)) }),
  );
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        update.mutate({ id: cluster.id, ...v });
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Pod">{(id) => <Input id={id} value={`${cluster.zoneName} / ${cluster.podName}`} disabled readOnly />}</Field>
        <Field label="Hypervisor">{(id) => <Input id={id} value={hypervisorLabel[cluster.hypervisorType] ?? cluster.hypervisorType} disabled readOnly />}</Field>
      </div>
      <Field label="Name" error={errors.name?.message}>
        {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
      </Field>
      <OvercommitFields register={register} errors={errors} />
      <p className="text-xs text-slate-500">
        Lowering a factor below what VMs already reserve keeps them running; the planner just places no more on those hosts.
      </p>
      <FormError message={formError} />
      <FormButtons onClose={onClose} loading={update.isPending} label="Save changes" />
    </form>
  );
}

/** The two over-provisioning inputs, shared by both forms. */
function OvercommitFields({
  register,
  errors,
}: {
  // Both forms have these two number fields; their register functions differ only in other fields.
  register: (name: "cpuOvercommit" | "memoryOvercommit", o: { valueAsNumber: true }) => object;
  errors: { cpuOvercommit?: { message?: string }; memoryOvercommit?: { message?: string } };
}) {
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <Field label="CPU over-provisioning factor" error={errors.cpuOvercommit?.message} hint="1 to 10, e.g. 2 or 1.5">
        {(id) => <Input id={id} type="number" min={1} max={10} step={0.01} invalid={!!errors.cpuOvercommit} {...register("cpuOvercommit", { valueAsNumber: true })} />}
      </Field>
      <Field label="Memory over-provisioning factor" error={errors.memoryOvercommit?.message} hint="1 to 10; 1 means no over-provisioning">
        {(id) => (
          <Input id={id} type="number" min={1} max={10} step={0.01} invalid={!!errors.memoryOvercommit} {...register("memoryOvercommit", { valueAsNumber: true })} />
        )}
      </Field>
    </div>
  );
}
