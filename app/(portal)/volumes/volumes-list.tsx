"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { None } from "@/components/resource/cells";
import { FilterSelect, unset, useFilters } from "@/components/resource/filters";
import { formatGib, formatRelative, formatDateTime } from "@/components/resource/format";
import { jobVerb } from "@/components/resource/job-progress";
import { CreateVolumeDialog } from "@/components/resource/volume-create";
import {
  useVolumeActions,
  volumeBusyStates,
  type VolumeRow,
  VolumeStateBadge,
  volumeStates,
  volumeTypeLabel,
} from "@/components/resource/volume-actions";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

type StateFilter = (typeof volumeStates)[number];
const stateOptions = volumeStates.filter((s) => s !== "expunged").map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }));
const busy = (rows: VolumeRow[] | undefined) => !!rows?.some((r) => r.activeJob || volumeBusyStates.includes(r.state));

export function VolumesList() {
  const trpc = useTRPC();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  const rootAdmin = caller.accountType === "root_admin";
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const filters = useFilters({ state: unset<StateFilter>(), type: unset<"root" | "datadisk">(), zoneId: "" }, () => table.setPage(1));
  const list = useQuery(
    trpc.volume.list.queryOptions(
      { ...table.query, ...filters.query },
      { placeholderData: keepPreviousData, refetchInterval: (q) => liveInterval(busy(q.state.data?.items)) },
    ),
  );
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const actions = useVolumeActions();
  const [creating, setCreating] = useState(false);

  const columns: Column<VolumeRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (v) => (
        <div className="min-w-0">
          <Link href={`/volumes/${v.id}`} className="font-medium whitespace-nowrap text-brand-700 hover:underline">
            {v.name}
          </Link>
          <div className="truncate text-xs text-slate-600">{v.offeringName ?? "From the template"}</div>
        </div>
      ),
    },
    {
      key: "state",
      header: "State",
      sortable: true,
      cell: (v) => (
        <div>
          <VolumeStateBadge state={v.state} />
          {v.activeJob && <div className="mt-0.5 text-xs text-slate-600">{jobVerb(v.activeJob.type)}…</div>}
        </div>
      ),
    },
    { key: "type", header: "Type", sortable: true, hideBelow: "sm", cell: (v) => volumeTypeLabel(v.type) },
    {
      key: "sizeGib",
      header: "Size",
      sortable: true,
      cell: (v) => <span className="whitespace-nowrap tabular-nums">{formatGib(v.sizeGib)}</span>,
    },
    {
      key: "instanceName",
      header: "Attached to",
      sortable: true,
      hideBelow: "md",
      cell: (v) =>
        v.instanceId && v.instanceName ? (
          <span className="whitespace-nowrap">
            <Link href={`/instances/${v.instanceId}`} className="text-brand-700 hover:underline">
              {v.instanceName}
            </Link>
            <span className="ml-1 font-mono text-xs text-slate-600">{v.deviceTarget}</span>
          </span>
        ) : (
          <None>Not attached</None>
        ),
    },
    { key: "zoneName", header: "Zone", sortable: true, hideBelow: "lg", cell: (v) => v.zoneName },
    ...(rootAdmin
      ? [{ key: "poolName", header: "Pool", hideBelow: "xl" as const, cell: (v: VolumeRow) => v.poolName ?? <None>None yet</None> }]
      : []),
    ...(admin
      ? [{ key: "accountName", header: "Account", sortable: true, hideBelow: "lg" as const, cell: (v: VolumeRow) => v.accountName }]
      : []),
    {
      key: "createdAt",
      header: "Created",
      sortable: true,
      hideBelow: "xl",
      cell: (v) => (
        <span className="whitespace-nowrap text-slate-600" title={formatDateTime(v.createdAt)}>
          {formatRelative(v.createdAt)}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Volumes"
        crumbs={[{ label: "Storage" }, { label: "Volumes" }]}
        description="Root disks of instances and data disks from disk offerings. A data volume is created unattached; attaching it places it on primary storage that the instance's host reaches."
        actions={<Button onClick={() => setCreating(true)}>Create volume</Button>}
      />
      <DataTable
        label="volumes"
        columns={columns}
        query={list}
        table={table}
        rowKey={(v) => v.id}
        rowName={(v) => `volume ${v.name}`}
        searchPlaceholder="Search by volume name…"
        emptyTitle={filters.active ? "No volumes match these filters" : "No volumes yet"}
        emptyHint="Deploy an instance (its root disk appears here) or create a data volume from a disk offering."
        filters={
          <>
            <FilterSelect
              label="Filter by state"
              allLabel="All states"
              value={filters.values.state}
              onChange={(v) => filters.set("state", v as StateFilter)}
              options={stateOptions}
            />
            <FilterSelect
              label="Filter by type"
              allLabel="All types"
              value={filters.values.type}
              onChange={(v) => filters.set("type", v as "root" | "datadisk")}
              options={[
                { value: "root", label: "Root" },
                { value: "datadisk", label: "Data" },
              ]}
            />
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={filters.values.zoneId}
              onChange={(v) => filters.set("zoneId", v)}
              options={(choices.data?.zones ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
          </>
        }
        rowActions={(v) => actions.menu(v)}
      />
      <CreateVolumeDialog open={creating} onClose={() => setCreating(false)} />
      {actions.dialogs}
    </>
  );
}
