"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { FieldValues } from "react-hook-form";
import { UsageBar } from "@/components/resource/cells";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { FilterSelect, idOrEmpty, StateFilter, unset, useFilters } from "@/components/resource/filters";
import { FormDialog, type KitForm, NumberField, ReadOnlyField, SelectField, TextField } from "@/components/resource/form-dialog";
import { formatFactor, formatMhz, formatMib } from "@/components/resource/format";
import {
  type ClusterRow,
  hypervisorLabel,
  infraCrumb,
  type InitialFilter,
  options,
  stateActions,
  usePodOptions,
  useZoneOptions,
} from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { type AllocationState, createClusterInput, hypervisorTypes, updateClusterInput } from "@/lib/validation/infrastructure";

const changes = ["cluster", "pod", "zone"] as const;
const editSchema = updateClusterInput.omit({ id: true }).required();

export function Clusters({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState({ sort: "name" });
  const filters = useFilters(
    { zoneId: idOrEmpty(initialFilter.zoneId), podId: idOrEmpty(initialFilter.podId), state: unset<AllocationState>() },
    () => table.setPage(1),
  );
  const list = useQuery(trpc.cluster.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }));
  const zones = useZoneOptions();
  const pods = usePodOptions();
  const [form, setForm] = useState<{ cluster: ClusterRow | null } | null>(null);
  const confirm = useConfirm();
  const setState = useResourceMutation({
    run: (v: { id: string; state: AllocationState }) => client.cluster.setState.mutate(v),
    invalidate: changes,
    success: (c) => `Cluster ${c.name} is now ${c.state}`,
  });
  const remove = useResourceMutation({
    run: (c: ClusterRow) => client.cluster.delete.mutate({ id: c.id }),
    invalidate: changes,
    success: (_, c) => `Cluster ${c.name} deleted`,
    quietErrors: true,
  });

  const columns: Column<ClusterRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (c) => <span className="font-medium text-slate-900">{c.name}</span> },
    { key: "podName", header: "Pod / zone", sortable: true, cell: (c) => `${c.podName} / ${c.zoneName}` },
    {
      key: "hypervisorType",
      header: "Hypervisor",
      sortable: true,
      hideBelow: "md",
      cell: (c) => <Badge tone="blue">{hypervisorLabel[c.hypervisorType] ?? c.hypervisorType}</Badge>,
    },
    {
      key: "cpuOvercommit",
      header: "Over-provisioning",
      sortable: true,
      hideBelow: "xl",
      cell: (c) => (
        <span className="text-xs whitespace-nowrap text-slate-700">
          CPU {formatFactor(c.cpuOvercommit)} · memory {formatFactor(c.memoryOvercommit)}
        </span>
      ),
    },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (c) => (
        <Link
          className="text-brand-700 hover:underline"
          href={`/infrastructure/hosts?clusterId=${c.id}`}
          aria-label={`${c.hostCount} hosts of cluster ${c.name}`}
        >
          {c.hostCount}
        </Link>
      ),
    },
    {
      key: "cpu",
      header: "CPU",
      hideBelow: "lg",
      cell: (c) => <UsageBar compact label={`CPU of cluster ${c.name}`} used={c.cpuUsedMhz} total={c.cpuTotalMhz} format={formatMhz} />,
    },
    {
      key: "memory",
      header: "Memory",
      hideBelow: "lg",
      cell: (c) => (
        <UsageBar compact label={`Memory of cluster ${c.name}`} used={c.memoryUsedMib} total={c.memoryTotalMib} format={formatMib} />
      ),
    },
    { key: "state", header: "State", sortable: true, cell: (c) => <StateBadge state={c.state} /> },
  ];
  const noPods = pods.data?.length === 0;
  const podOptions = (pods.data ?? []).filter((p) => !filters.values.zoneId || p.zoneId === filters.values.zoneId);

  return (
    <>
      <PageHeader
        title="Clusters"
        crumbs={[infraCrumb, { label: "Clusters" }]}
        description="A cluster groups hosts of one hypervisor type within a pod. Its over-provisioning factors multiply its hosts' CPU and memory for the planner (a factor of 2 lets VMs reserve twice the physical capacity)."
        actions={
          <Button onClick={() => setForm({ cluster: null })} disabled={noPods} title={noPods ? "Add a pod first" : undefined}>
            Add cluster
          </Button>
        }
      />
      <DataTable
        label="clusters"
        columns={columns}
        query={list}
        table={table}
        rowKey={(c) => c.id}
        rowName={(c) => `cluster ${c.name}`}
        searchPlaceholder="Search by cluster, pod or zone…"
        emptyTitle={filters.active ? "No clusters match these filters" : "No clusters yet"}
        emptyHint={noPods ? "Add a zone and a pod first, then clusters in the pod." : "Add a cluster to a pod, then hosts to the cluster."}
        filters={
          <>
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={filters.values.zoneId}
              onChange={(v) => filters.set("zoneId", v, { podId: "" })}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <FilterSelect
              label="Filter by pod"
              allLabel="All pods"
              value={filters.values.podId}
              onChange={(v) => filters.set("podId", v)}
              options={podOptions.map((p) => ({ value: p.id, label: `${p.name} (${p.zoneName})` }))}
            />
            <StateFilter kind="allocation" value={filters.values.state} onChange={(v) => filters.set("state", v as AllocationState)} />
          </>
        }
        rowActions={(c) => [
          { label: "Edit", onSelect: () => setForm({ cluster: c }) },
          ...stateActions(
            "cluster",
            c,
            (state) => setState.mutateAsync({ id: c.id, state: state === "disabled" ? "disabled" : "enabled" }),
            confirm.ask,
          ),
          {
            label: "Delete",
            danger: true,
            onSelect: () =>
              confirm.ask(
                deletion(
                  "cluster",
                  c.name,
                  () => remove.mutateAsync(c),
                  "A cluster can only be deleted once its hosts and cluster-scoped storage pools are gone.",
                ),
              ),
          },
        ]}
      />
      {form?.cluster ? (
        <FormDialog
          open
          onClose={() => setForm(null)}
          title={`Edit cluster ${form.cluster.name}`}
          schema={editSchema}
          defaultValues={{
            name: form.cluster.name,
            cpuOvercommit: form.cluster.cpuOvercommit,
            memoryOvercommit: form.cluster.memoryOvercommit,
          }}
          submitLabel="Save changes"
          onSubmit={(v) => client.cluster.update.mutate({ id: form.cluster!.id, ...v })}
          invalidate={changes}
          success={(c) => `Cluster ${c.name} saved`}
        >
          {(f) => (
            <>
              <div className="grid gap-4 sm:grid-cols-2">
                <ReadOnlyField label="Pod" value={`${form.cluster!.zoneName} / ${form.cluster!.podName}`} />
                <ReadOnlyField label="Hypervisor" value={hypervisorLabel[form.cluster!.hypervisorType] ?? form.cluster!.hypervisorType} />
              </div>
              <TextField form={f} name="name" label="Name" autoFocus />
              <OvercommitFields form={f} />
              <p className="text-xs text-slate-600">
                Lowering a factor below what VMs already reserve keeps them running; the planner just places no more on those hosts.
              </p>
            </>
          )}
        </FormDialog>
      ) : (
        <FormDialog
          open={form !== null}
          onClose={() => setForm(null)}
          title="Add cluster"
          schema={createClusterInput}
          defaultValues={{ podId: filters.values.podId, name: "", hypervisorType: "kvm", cpuOvercommit: 1, memoryOvercommit: 1 }}
          waitFor={{ query: pods, what: "pods" }}
          submitLabel="Create cluster"
          onSubmit={(v) => client.cluster.create.mutate(v)}
          invalidate={changes}
          success={(c) => `Cluster ${c.name} created`}
        >
          {(f) => {
            const ps = pods.data!;
            return (
              <>
                <SelectField
                  form={f}
                  name="podId"
                  label="Pod"
                  empty="Choose a pod…"
                  options={ps.map((p) => ({ value: p.id, label: `${p.zoneName} / ${p.name}` }))}
                />
                <TextField form={f} name="name" label="Name" />
                <SelectField
                  form={f}
                  name="hypervisorType"
                  label="Hypervisor"
                  hint="Every host of the cluster must run this hypervisor."
                  options={options(hypervisorLabel, hypervisorTypes)}
                />
                <OvercommitFields form={f} />
              </>
            );
          }}
        </FormDialog>
      )}
      {confirm.dialog}
    </>
  );
}

type Overcommit = { cpuOvercommit: number; memoryOvercommit: number };

/** The two over-provisioning inputs of both forms. */
function OvercommitFields<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  // Both forms have these two number fields; they differ only in their other fields.
  const f = form as unknown as KitForm<Overcommit, Overcommit>;
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <NumberField
        form={f}
        name="cpuOvercommit"
        label="CPU over-provisioning factor"
        hint="1 to 10, e.g. 2 or 1.5"
        min={1}
        max={10}
        step={0.01}
      />
      <NumberField
        form={f}
        name="memoryOvercommit"
        label="Memory over-provisioning factor"
        hint="1 to 10; 1 means no over-provisioning"
        min={1}
        max={10}
        step={0.01}
      />
    </div>
  );
}
