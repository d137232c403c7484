"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { AccountLink, Tags, UsageBar } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { formatDateTime, formatMhz, formatMib, formatRelative } from "@/components/resource/format";
import { infraCrumb } from "@/components/resource/infrastructure";
import { HostLoad } from "@/components/resource/instance-metrics";
import { formatSize, InstanceStateBadge } from "@/components/resource/instance-state";
import type { RouterOutputs } from "@/components/resource/router-types";
import { StateBadge } from "@/components/ui/badge";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Card, PageHeader } from "@/components/ui/page-header";
import { ActionBar } from "@/components/ui/row-menu";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { effectiveDomainType, HostFormDialog, useHostActions } from "../host-parts";
import { liveInterval } from "@/lib/live";

type VmRow = RouterOutputs["instance"]["list"]["items"][number];
const crumbs = [infraCrumb, { label: "Hosts", href: "/infrastructure/hosts" }];

/** A host's own page: its facts, its actions (as in its row menu), its load and the VMs on it. */
export function HostDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const host = useQuery(trpc.host.get.queryOptions({ id }, { refetchInterval: 15_000 }));
  const [editing, setEditing] = useState(false);
  const confirm = useConfirm();
  const actions = useHostActions(
    confirm,
    () => setEditing(true),
    () => router.push("/infrastructure/hosts"),
  );

  if (host.isPending)
    return (
      <>
        <PageHeader title="Host" crumbs={crumbs} />
        <Loading label="Loading host…" />
      </>
    );
  if (host.error) {
    return (
      <>
        <PageHeader title="Host" crumbs={crumbs} />
        <Card>
          {host.error.data?.code === "NOT_FOUND" ? (
            <EmptyState title="Host not found" hint="It does not exist or has been removed." />
          ) : (
            <ErrorState error={host.error} onRetry={() => void host.refetch()} />
          )}
        </Card>
      </>
    );
  }
  const h = host.data;
  const kvm = h.hypervisorType === "kvm";
  return (
    <>
      <PageHeader
        title={h.name}
        crumbs={[...crumbs, { label: h.name }]}
        description={`${h.zoneName} / ${h.podName} / ${h.clusterName}`}
        actions={<ActionBar label="Host actions" actions={actions(h)} />}
      />
      <div className="space-y-6">
        <Card title="Summary">
          <dl data-testid="host-facts" className="grid grid-cols-1 gap-x-6 gap-y-4 p-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
            <Fact label="Address">
              <span className="font-mono text-xs break-all">{h.address}</span>
            </Fact>
            <Fact label="State">
              <span className="flex flex-wrap gap-1">
                <StateBadge state={h.state} />
                <StateBadge state={h.status} />
              </span>
            </Fact>
            <Fact label="Last seen">
              {h.lastSeenAt ? <span title={formatDateTime(h.lastSeenAt)}>{formatRelative(h.lastSeenAt)}</span> : "—"}
            </Fact>
            <Fact label="Tags">
              <Tags tags={h.tags} />
            </Fact>
            <Fact label="CPU">
              {h.cpuCores} × {h.cpuMhz.toLocaleString("en-US")} MHz
              {h.cpuModel && <span className="block text-xs text-slate-600">{h.cpuModel}</span>}
              <UsageBar compact label={`CPU of host ${h.name}`} used={h.cpuUsedMhz} total={h.cpuTotalMhz} format={formatMhz} />
            </Fact>
            <Fact label="Memory">
              {formatMib(h.memoryMib)}
              <UsageBar compact label={`Memory of host ${h.name}`} used={h.memoryUsedMib} total={h.memoryTotalMib} format={formatMib} />
            </Fact>
            {kvm && (
              <>
                <Fact label="Versions">
                  {h.hypervisorVersion ?? "—"}
                  {h.libvirtVersion && <span className="block text-xs text-slate-600">libvirt {h.libvirtVersion}</span>}
                </Fact>
                <Fact label="Domain type">
                  <span data-testid="host-domain-type">{effectiveDomainType(h)}</span>
                  <span className="block text-xs text-slate-600">
                    {h.domainType ? "set by an admin" : "automatic"}; KVM acceleration{" "}
                    {h.kvmAccelerated ? "works" : h.kvmAccelerated === false ? "is not available" : "unknown"}
                  </span>
                </Fact>
              </>
            )}
          </dl>
        </Card>
        <HostVms hostId={h.id} hostName={h.name} />
        <Card title="Load, last 6 hours">
          <div className="p-4">
            <HostLoad hostId={h.id} />
          </div>
        </Card>
      </div>
      <HostFormDialog open={editing} host={h} onClose={() => setEditing(false)} />
      {confirm.dialog}
    </>
  );
}

function HostVms({ hostId, hostName }: { hostId: string; hostName: string }) {
  const trpc = useTRPC();
  const table = useTableState({ sort: "name" });
  const list = useQuery(
    trpc.instance.list.queryOptions(
      { ...table.query, hostId },
      { placeholderData: keepPreviousData, refetchInterval: () => liveInterval(false) },
    ),
  );
  const columns: Column<VmRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (v) => (
        <Link href={`/instances/${v.id}`} className="font-medium text-brand-700 hover:underline">
          {v.name}
        </Link>
      ),
    },
    { key: "state", header: "State", sortable: true, cell: (v) => <InstanceStateBadge state={v.state} /> },
    {
      key: "offeringName",
      header: "Offering",
      sortable: true,
      hideBelow: "md",
      cell: (v) => (
        <>
          {v.offeringName}
          <span className="block text-xs text-slate-600">{formatSize(v.cpuCores, v.memoryMib)}</span>
        </>
      ),
    },
    {
      key: "accountName",
      header: "Account",
      sortable: true,
      cell: (v) => <AccountLink id={v.accountId} name={v.accountName} />,
    },
  ];
  return (
    <section aria-labelledby="host-vms">
      <h2 id="host-vms" className="mb-3 text-lg font-semibold">
        VMs on {hostName}
      </h2>
      <DataTable
        label="VMs on this host"
        noun={["VM", "VMs"]}
        columns={columns}
        query={list}
        table={table}
        rowKey={(v) => v.id}
        searchPlaceholder="Search name or IP…"
        emptyTitle="No VMs on this host"
      />
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{label}</dt>
      <dd className="mt-1 text-slate-800">{children}</dd>
    </div>
  );
}
