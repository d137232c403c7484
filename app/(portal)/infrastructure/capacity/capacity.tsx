"use client";
import { HostLink, HostStatus } from "@/components/resource/cells";
import { count } from "@/components/resource/format";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import type { AppRouter } from "@/server/api/root";

type Zone = inferRouterOutputs<AppRouter>["capacity"]["summary"][number];
type Figure = Zone["cpuMhz"];

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const mhz = (v: number) => (v >= 10_000 ? `${fmt(v / 1000)} GHz` : `${fmt(v, 0)} MHz`);
const mib = (v: number) => (v >= 1024 * 1024 ? `${fmt(v / 1024 / 1024)} TiB` : v >= 1024 ? `${fmt(v / 1024)} GiB` : `${fmt(v, 0)} MiB`);
const gib = (v: number) => (v >= 1024 ? `${fmt(v / 1024)} TiB` : `${fmt(v, 0)} GiB`);
const pct = (f: Figure) => (f.total > 0 ? Math.round((f.used / f.total) * 1000) / 10 : 0);

/** Green below 70 %, amber below 90 %, red above: an admin sees the hot spots at a glance. */
const barColor = (p: number) => (p >= 90 ? "bg-red-500" : p >= 70 ? "bg-amber-500" : "bg-emerald-500");
const chartColor = (p: number) => (p >= 90 ? "#ef4444" : p >= 70 ? "#f59e0b" : "#10b981");

/**
 * Reserved against what may be reserved. The bar is the total (hardware × over-provisioning); a
 * dark tick marks the physical hardware, so what lies right of it is over-committed.
 */
function UsageBar({ label, figure, unit }: { label: string; figure: Figure; unit: (v: number) => string }) {
  const p = pct(figure);
  const physicalAt = figure.total > 0 ? Math.min(100, (figure.physical / figure.total) * 100) : 100;
  return (
    <div className="min-w-0">
      <div className="mb-1 flex items-baseline justify-between gap-2 text-xs">
        <span className="font-medium text-slate-700">{label}</span>
        <span className="tabular-nums text-slate-600">
          {unit(figure.used)} / {unit(figure.total)} · {fmt(p)} %
        </span>
      </div>
      <div
        className="relative h-3 overflow-hidden rounded-full bg-slate-100"
        role="meter"
        aria-label={`${label} reserved`}
        aria-valuemin={0}
        aria-valuemax={figure.total}
        aria-valuenow={figure.used}
        aria-valuetext={`${unit(figure.used)} of ${unit(figure.total)} (${fmt(p)} %), physical ${unit(figure.physical)}`}
      >
        <div className={`h-full ${barColor(p)}`} style={{ width: `${Math.min(100, p)}%` }} />
        {physicalAt < 100 && (
          <div
            className="absolute inset-y-0 w-0.5 bg-slate-700"
            style={{ left: `${physicalAt}%` }}
            title={`Physical: ${unit(figure.physical)}`}
          />
        )}
      </div>
      {figure.physical !== figure.total && <p className="mt-0.5 text-[11px] text-slate-500">Physical {unit(figure.physical)}</p>}
    </div>
  );
}

function HostChart({ zone }: { zone: Zone }) {
  const data = zone.clusters.flatMap((c) =>
    c.hosts.map((h) => ({
      name: h.name,
      cpu: pct(h.cpuMhz),
      memory: pct(h.memoryMib),
      cpuLabel: `${mhz(h.cpuMhz.used)} / ${mhz(h.cpuMhz.total)}`,
      memoryLabel: `${mib(h.memoryMib.used)} / ${mib(h.memoryMib.total)}`,
    })),
  );
  if (data.length === 0) return null;
  return (
    <div className="h-64 w-full" aria-label={`Reserved share of each host in ${zone.name}`} role="img">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 16, left: 0, bottom: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={data.length > 24 ? "preserveStartEnd" : 0} />
          <YAxis unit="%" domain={[0, 100]} tick={{ fontSize: 11 }} width={44} />
          <Tooltip
            formatter={(value, name, item) => {
              const row = item.payload as (typeof data)[number];
              return [`${Number(value)} % (${name === "CPU" ? row.cpuLabel : row.memoryLabel})`, name];
            }}
          />
          <Legend />
          <ReferenceLine y={90} stroke="#ef4444" strokeDasharray="4 4" />
          <Bar dataKey="cpu" name="CPU" fill="#6366f1" radius={[3, 3, 0, 0]} />
          <Bar dataKey="memory" name="Memory" fill="#0ea5e9" radius={[3, 3, 0, 0]} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Beside the allocated GiB: what the pools' volumes really take on disk, when measured (thin disks take less). */
function PrimaryOnDisk({ zone }: { zone: Zone }) {
  const { actualBytes, measuredAt } = zone.primaryStorageGib;
  if (actualBytes === null) return <p className="mt-0.5 text-[11px] text-slate-500">On disk: not measured yet</p>;
  return (
    <p className="mt-0.5 text-[11px] text-slate-600" data-testid="primary-on-disk">
      On disk: <span className="tabular-nums">{fmt(actualBytes / 1024 ** 3, 2)} GiB</span>
      {measuredAt && <span className="text-slate-500"> · measured {new Date(measuredAt).toLocaleTimeString()}</span>}
    </p>
  );
}

function ZoneCard({ zone }: { zone: Zone }) {
  const worst = Math.max(pct(zone.cpuMhz), pct(zone.memoryMib));
  return (
    <Card
      title={zone.name}
      actions={
        <div className="flex items-center gap-2 text-xs text-slate-600">
          <span>{zone.vms} VMs</span>
          <StateBadge state={zone.state} />
          <span className="inline-block size-2.5 rounded-full" style={{ background: chartColor(worst) }} aria-hidden="true" />
        </div>
      }
    >
      <div className="grid gap-4 p-4 md:grid-cols-2">
        <UsageBar label="CPU" figure={zone.cpuMhz} unit={mhz} />
        <UsageBar label="Memory" figure={zone.memoryMib} unit={mib} />
        {/* Primary storage: GiB allocated to volumes, against capacity × the pools' over-provisioning. */}
        <div>
          <UsageBar label="Primary storage allocated to volumes" figure={zone.primaryStorageGib} unit={gib} />
          <PrimaryOnDisk zone={zone} />
        </div>
        <UsageBar
          label="Secondary storage (images, copies, snapshots)"
          figure={{ ...zone.secondaryStorageGib, physical: zone.secondaryStorageGib.total }}
          unit={gib}
        />
      </div>
      <div className="px-2 pb-2">
        <HostChart zone={zone} />
      </div>
      {zone.clusters.length === 0 ? (
        <EmptyState title="No clusters in this zone" />
      ) : (
        <div className="divide-y divide-slate-100 border-t border-slate-200">
          {zone.clusters.map((c) => (
            <div key={c.id} className="p-4">
              <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
                <h3 className="text-sm font-semibold text-slate-800">
                  {c.name} <span className="font-normal text-slate-600">· {c.podName}</span>
                </h3>
                <span className="text-xs text-slate-600">
                  over-provisioning CPU × {fmt(c.cpuOvercommit, 2)}, memory × {fmt(c.memoryOvercommit, 2)} · {count(c.hostCount, "host")} ·{" "}
                  {count(c.vms, "VM")}
                </span>
              </div>
              <div className="grid gap-3 md:grid-cols-2">
                <UsageBar label="CPU" figure={c.cpuMhz} unit={mhz} />
                <UsageBar label="Memory" figure={c.memoryMib} unit={mib} />
              </div>
              {c.hosts.length > 0 && (
                <div className="mt-3">
                  <StaticTable
                    label={`Hosts of ${c.name}`}
                    rows={c.hosts}
                    rowKey={(h) => h.id}
                    columns={[
                      {
                        key: "name",
                        header: "Host",
                        cell: (h) => (
                          <>
                            <HostLink id={h.id} name={h.name} />
                            {(h.state !== "enabled" || h.status !== "up") && (
                              <span className="ml-1">
                                <HostStatus status={h.status} state={h.state} />
                              </span>
                            )}
                          </>
                        ),
                      },
                      { key: "vms", header: "VMs", className: "tabular-nums text-slate-600", cell: (h) => h.vms },
                      {
                        key: "use",
                        header: "Reserved",
                        className: "w-full min-w-48",
                        cell: (h) => (
                          <div className="grid gap-2 lg:grid-cols-2">
                            <UsageBar label="CPU" figure={h.cpuMhz} unit={mhz} />
                            <UsageBar label="Memory" figure={h.memoryMib} unit={mib} />
                          </div>
                        ),
                      },
                    ]}
                  />
                </div>
              )}
            </div>
          ))}
        </div>
      )}
    </Card>
  );
}

export function Capacity() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.capacity.summary.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <div>
      <PageHeader
        title="Capacity"
        crumbs={[{ label: "Infrastructure", href: "/infrastructure/zones" }, { label: "Capacity" }]}
        description="CPU and memory reserved by VMs, against what may be reserved (hardware × the cluster's over-provisioning factor; hosts in maintenance are left out of the totals). The dark tick on a bar marks the physical hardware."
        actions={
          <Button variant="secondary" onClick={() => void summary.refetch()} loading={summary.isFetching}>
            Refresh
          </Button>
        }
      />
      {summary.isPending ? (
        <Loading />
      ) : summary.isError ? (
        <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />
      ) : summary.data.length === 0 ? (
        <EmptyState title="No zones yet" hint="Add a zone, a pod, a cluster and hosts to see their capacity here." />
      ) : (
        <div className="space-y-6">
          {summary.data.map((z) => (
            <ZoneCard key={z.id} zone={z} />
          ))}
        </div>
      )}
    </div>
  );
}
