"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Tags, UsageBar } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { FilterSelect, idOrEmpty, StateFilter, useFilters } from "@/components/resource/filters";
import { formatMhz, formatMib } from "@/components/resource/format";
import {
  type HostRow,
  hypervisorLabel,
  infraCrumb,
  type InitialFilter,
  useClusterOptions,
  useZoneOptions,
} from "@/components/resource/infrastructure";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import { type HostState, type HostStatus, hostStates, hostStatuses } from "@/lib/validation/infrastructure";
import { HostFormDialog, useHostActions } from "./host-parts";

const statusOptions = hostStatuses.map((s) => ({ value: s, label: s[0]!.toUpperCase() + s.slice(1) }));
const oneOf = <T extends string>(list: readonly T[], v: string | undefined): T | "" => list.find((x) => x === v) ?? "";

/** `initialFilter` comes from the address bar (the dashboard links here with ?status=down, ?state=maintenance). */
export function Hosts({ initialFilter = {} }: { initialFilter?: InitialFilter & { state?: string; status?: string } }) {
  const trpc = useTRPC();
  const table = useTableState({ sort: "name" });
  const filters = useFilters(
    {
      zoneId: idOrEmpty(initialFilter.zoneId),
      podId: idOrEmpty(initialFilter.podId),
      clusterId: idOrEmpty(initialFilter.clusterId),
      state: oneOf(hostStates, initialFilter.state),
      status: oneOf(hostStatuses, initialFilter.status),
    },
    () => table.setPage(1),
  );
  const list = useQuery(trpc.host.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }));
  const zones = useZoneOptions();
  const clusters = useClusterOptions();
  const [form, setForm] = useState<{ host: HostRow | null } | null>(null);
  const confirm = useConfirm();
  const actions = useHostActions(confirm, (h) => setForm({ host: h }));

  const columns: Column<HostRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (h) => (
        <div className="min-w-0">
          <Link href={`/infrastructure/hosts/${h.id}`} className="font-medium text-brand-700 hover:underline">
            {h.name}
          </Link>
          <div className="font-mono text-xs break-all text-slate-600">{h.address}</div>
        </div>
      ),
    },
    {
      key: "clusterName",
      header: "Cluster",
      sortable: true,
      hideBelow: "md",
      cell: (h) => (
        <div>
          <div>{h.clusterName}</div>
          <div className="text-xs text-slate-600">
            {h.zoneName} / {h.podName}
          </div>
        </div>
      ),
    },
    {
      key: "hypervisorType",
      header: "Hypervisor",
      sortable: true,
      hideBelow: "xl",
      cell: (h) => <Badge tone="blue">{hypervisorLabel[h.hypervisorType] ?? h.hypervisorType}</Badge>,
    },
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
      hideBelow: "lg",
      cell: (h) => (
        <div>
          <div className="mb-0.5 text-xs whitespace-nowrap text-slate-700">
            {h.cpuCores} × {h.cpuMhz.toLocaleString("en-US")} MHz{h.cpuOvercommit !== 1 && ` × ${h.cpuOvercommit}`}
          </div>
          <UsageBar compact label={`CPU of host ${h.name}`} used={h.cpuUsedMhz} total={h.cpuTotalMhz} format={formatMhz} />
        </div>
      ),
    },
    {
      key: "memoryTotalMib",
      header: "Memory",
      sortable: true,
      hideBelow: "lg",
      cell: (h) => (
        <div>
          <div className="mb-0.5 text-xs whitespace-nowrap text-slate-700">
            {formatMib(h.memoryMib)}
            {h.memoryOvercommit !== 1 && ` × ${h.memoryOvercommit}`}
          </div>
          <UsageBar compact label={`Memory of host ${h.name}`} used={h.memoryUsedMib} total={h.memoryTotalMib} format={formatMib} />
        </div>
      ),
    },
    { key: "tags", header: "Tags", hideBelow: "xl", cell: (h) => <Tags tags={h.tags} /> },
  ];
  const clusterOptions = (clusters.data ?? []).filter((c) => !filters.values.zoneId || c.zoneId === filters.values.zoneId);
  const noClusters = clusters.data?.length === 0;

  return (
    <>
      <PageHeader
        title="Hosts"
        crumbs={[infraCrumb, { label: "Hosts" }]}
        description="Hypervisor hosts. Capacity shown is what the planner may reserve: physical CPU and memory times the cluster's over-provisioning factor. Put a host in maintenance before working on it."
        actions={
          <Button onClick={() => setForm({ host: null })} disabled={noClusters} title={noClusters ? "Add a cluster first" : undefined}>
            Add host
          </Button>
        }
      />
      <DataTable
        label="hosts"
        columns={columns}
        query={list}
        table={table}
        rowKey={(h) => h.id}
        rowName={(h) => `host ${h.name}`}
        searchPlaceholder="Search by name, address, cluster or tag…"
        emptyTitle={filters.active ? "No hosts match these filters" : "No hosts yet"}
        emptyHint={
          noClusters ? "Add a zone, a pod and a cluster first, then hosts in the cluster." : "Add a host to a cluster so VMs can run on it."
        }
        filters={
          <>
            {filters.values.podId && (
              <Button variant="secondary" onClick={() => filters.set("podId", "")}>
                Pod {list.data?.items[0]?.podName ?? "…"} ×<span className="sr-only"> clear pod filter</span>
              </Button>
            )}
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={filters.values.zoneId}
              onChange={(v) => filters.set("zoneId", v, { clusterId: "" })}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <FilterSelect
              label="Filter by cluster"
              allLabel="All clusters"
              value={filters.values.clusterId}
              onChange={(v) => filters.set("clusterId", v)}
              options={clusterOptions.map((c) => ({ value: c.id, label: `${c.name} (${c.zoneName})` }))}
            />
            <StateFilter kind="host" value={filters.values.state} onChange={(v) => filters.set("state", v as HostState)} />
            <FilterSelect
              label="Filter by status"
              allLabel="Any status"
              value={filters.values.status}
              onChange={(v) => filters.set("status", v as HostStatus)}
              options={statusOptions}
            />
          </>
        }
        rowActions={actions}
      />
      <HostFormDialog
        open={form !== null}
        host={form?.host ?? null}
        defaultClusterId={filters.values.clusterId}
        onClose={() => setForm(null)}
      />
      {confirm.dialog}
    </>
  );
}
