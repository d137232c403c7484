"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { None } from "@/components/resource/cells";
import { FilterSelect, unset, useFilters } from "@/components/resource/filters";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { jobVerb } from "@/components/resource/job-progress";
import { CreateNetworkDialog } from "@/components/resource/network-create";
import { type NetworkRow, NetworkStateBadge, useNetworkActions } from "@/components/resource/network-actions";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import { guestTypeLabels, networkStates, type NetworkState } from "@/lib/validation/networks";
import { liveInterval } from "@/lib/live";

const stateOptions = networkStates.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }));

export function NetworksList() {
  const trpc = useTRPC();
  const router = useRouter();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const filters = useFilters({ state: unset<NetworkState>(), zoneId: "" }, () => table.setPage(1));
  const list = useQuery(
    trpc.network.list.queryOptions(
      { ...table.query, ...filters.query },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (q) => liveInterval(!!q.state.data?.items.some((n) => n.activeJob || n.state === "destroying")),
      },
    ),
  );
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const actions = useNetworkActions();
  const [creating, setCreating] = useState(false);

  const columns: Column<NetworkRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (n) => (
        <div className="min-w-0">
          <Link href={`/networks/${n.id}`} className="font-medium whitespace-nowrap text-brand-700 hover:underline">
            {n.name}
          </Link>
          <div className="truncate text-xs text-slate-600">
            {guestTypeLabels[n.guestType]} · {n.offeringName}
            {n.isDefault ? " · default" : ""}
          </div>
        </div>
      ),
    },
    {
      key: "state",
      header: "State",
      sortable: true,
      cell: (n) => (
        <div>
          <NetworkStateBadge state={n.state} />
          {n.activeJob && <div className="mt-0.5 text-xs text-slate-600">{jobVerb(n.activeJob.type)}…</div>}
        </div>
      ),
    },
    {
      key: "cidr",
      header: "CIDR",
      sortable: true,
      cell: (n) => (n.cidr ? <span className="font-mono whitespace-nowrap">{n.cidr}</span> : <None>L2</None>),
    },
    {
      key: "gateway",
      header: "Gateway",
      hideBelow: "md",
      cell: (n) => (n.gateway ? <span className="font-mono">{n.gateway}</span> : <None>None</None>),
    },
    {
      key: "vlan",
      header: "VLAN",
      sortable: true,
      hideBelow: "lg",
      cell: (n) => (n.vlan === null ? <None>Untagged</None> : <span className="tabular-nums">{n.vlan}</span>),
    },
    { key: "nicCount", header: "NICs", hideBelow: "sm", cell: (n) => <span className="tabular-nums">{n.nicCount}</span> },
    { key: "zoneName", header: "Zone", sortable: true, hideBelow: "lg", cell: (n) => n.zoneName },
    ...(admin
      ? [{ key: "accountName", header: "Account", sortable: true, hideBelow: "lg" as const, cell: (n: NetworkRow) => n.accountName }]
      : []),
    {
      key: "createdAt",
      header: "Created",
      sortable: true,
      hideBelow: "xl",
      cell: (n) => (
        <span className="whitespace-nowrap text-slate-600" title={formatDateTime(n.createdAt)}>
          {formatRelative(n.createdAt)}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Networks"
        crumbs={[{ label: "Network" }, { label: "Networks" }]}
        description="Isolated guest networks of your account, each with its own router (DHCP, DNS). Your first deploy makes a default one; a network is implemented on the hosts when an instance first uses it."
        actions={<Button onClick={() => setCreating(true)}>Create network</Button>}
      />
      <DataTable
        label="networks"
        columns={columns}
        query={list}
        table={table}
        rowKey={(n) => n.id}
        rowName={(n) => `network ${n.name}`}
        searchPlaceholder="Search by name or CIDR…"
        emptyTitle={filters.active ? "No networks match these filters" : "No networks yet"}
        emptyHint="Create one, or deploy an instance: your account's default network is made with it."
        filters={
          <>
            <FilterSelect
              label="Filter by state"
              allLabel="All states"
              value={filters.values.state}
              onChange={(v) => filters.set("state", v as NetworkState)}
              options={stateOptions}
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
        rowActions={(n) => actions.menu(n)}
      />
      <CreateNetworkDialog open={creating} onClose={() => setCreating(false)} onCreated={(id) => router.push(`/networks/${id}`)} />
      {actions.dialogs}
    </>
  );
}
