"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { FilterSelect, idOrEmpty, StateFilter, unset, useFilters } from "@/components/resource/filters";
import { FormDialog, ReadOnlyField, SelectField, TextField } from "@/components/resource/form-dialog";
import { infraCrumb, type InitialFilter, type PodRow, stateActions, useZoneOptions } from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createPodInput, updatePodInput, type AllocationState } from "@/lib/validation/infrastructure";

const changes = ["pod", "zone"] as const;

export function Pods({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ zoneId: idOrEmpty(initialFilter.zoneId), state: unset<AllocationState>() }, () => table.setPage(1));
  const list = useQuery(trpc.pod.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }));
  const zones = useZoneOptions();
  const [form, setForm] = useState<{ pod: PodRow | null } | null>(null);
  const confirm = useConfirm();
  const setState = useResourceMutation({
    run: (v: { id: string; state: AllocationState }) => client.pod.setState.mutate(v),
    invalidate: changes,
    success: (p) => `Pod ${p.name} is now ${p.state}`,
  });
  const remove = useResourceMutation({
    run: (p: PodRow) => client.pod.delete.mutate({ id: p.id }),
    invalidate: changes,
    success: (_, p) => `Pod ${p.name} deleted`,
    quietErrors: true,
  });

  const columns: Column<PodRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (p) => <span className="font-medium text-slate-900">{p.name}</span> },
    { key: "zoneName", header: "Zone", sortable: true, cell: (p) => p.zoneName },
    { key: "state", header: "State", sortable: true, cell: (p) => <StateBadge state={p.state} /> },
    {
      key: "clusterCount",
      header: "Clusters",
      sortable: true,
      cell: (p) => (
        <Link
          className="text-brand-700 hover:underline"
          href={`/infrastructure/clusters?podId=${p.id}`}
          aria-label={`${p.clusterCount} clusters of pod ${p.name}`}
        >
          {p.clusterCount}
        </Link>
      ),
    },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (p) => (
        <Link
          className="text-brand-700 hover:underline"
          href={`/infrastructure/hosts?podId=${p.id}`}
          aria-label={`${p.hostCount} hosts of pod ${p.name}`}
        >
          {p.hostCount}
        </Link>
      ),
    },
  ];
  const noZones = zones.data?.length === 0;

  return (
    <>
      <PageHeader
        title="Pods"
        crumbs={[infraCrumb, { label: "Pods" }]}
        description="A pod is a rack or a network segment within a zone; it holds clusters. Pod names are unique within their zone."
        actions={
          <Button onClick={() => setForm({ pod: null })} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
            Add pod
          </Button>
        }
      />
      <DataTable
        label="pods"
        columns={columns}
        query={list}
        table={table}
        rowKey={(p) => p.id}
        rowName={(p) => `pod ${p.name}`}
        searchPlaceholder="Search by pod or zone name…"
        emptyTitle={filters.active ? "No pods match these filters" : "No pods yet"}
        emptyHint={noZones ? "Add a zone first, then pods in it." : "Add a pod to a zone, then clusters in the pod."}
        filters={
          <>
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={filters.values.zoneId}
              onChange={(v) => filters.set("zoneId", v)}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <StateFilter kind="allocation" value={filters.values.state} onChange={(v) => filters.set("state", v as AllocationState)} />
          </>
        }
        rowActions={(p) => [
          { label: "Edit", onSelect: () => setForm({ pod: p }) },
          ...stateActions(
            "pod",
            p,
            (state) => setState.mutateAsync({ id: p.id, state: state === "disabled" ? "disabled" : "enabled" }),
            confirm.ask,
          ),
          {
            label: "Delete",
            danger: true,
            onSelect: () =>
              confirm.ask(deletion("pod", p.name, () => remove.mutateAsync(p), "A pod can only be deleted once its clusters are gone.")),
          },
        ]}
      />
      {form?.pod ? (
        <FormDialog
          open
          onClose={() => setForm(null)}
          title={`Edit pod ${form.pod.name}`}
          schema={updatePodInput.omit({ id: true })}
          defaultValues={{ name: form.pod.name }}
          submitLabel="Save changes"
          onSubmit={(v) => client.pod.update.mutate({ id: form.pod!.id, ...v })}
          invalidate={changes}
          success={(p) => `Pod ${p.name} saved`}
        >
          {(f) => (
            <>
              <ReadOnlyField label="Zone" value={form.pod!.zoneName} hint="A pod stays in its zone." />
              <TextField form={f} name="name" label="Name" autoFocus />
            </>
          )}
        </FormDialog>
      ) : (
        <FormDialog
          open={form !== null}
          onClose={() => setForm(null)}
          title="Add pod"
          schema={createPodInput}
          defaultValues={{ zoneId: filters.values.zoneId || zones.data?.[0]?.id || "", name: "" }}
          waitFor={{ query: zones, what: "zones" }}
          submitLabel="Create pod"
          onSubmit={(v) => client.pod.create.mutate(v)}
          invalidate={changes}
          success={(p) => `Pod ${p.name} created`}
        >
          {(f) => {
            const zs = zones.data!;
            return (
              <>
                <SelectField
                  form={f}
                  name="zoneId"
                  label="Zone"
                  empty="Choose a zone…"
                  options={zs.map((z) => ({ value: z.id, label: z.name }))}
                />
                <TextField form={f} name="name" label="Name" autoFocus />
              </>
            );
          }}
        </FormDialog>
      )}
      {confirm.dialog}
    </>
  );
}
