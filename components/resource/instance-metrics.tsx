"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

/** How often the charts refresh (the collector samples every 30 s by default). */
const REFRESH_MS = 15_000;
const windows = [
  { minutes: 60, label: "1 h" },
  { minutes: 360, label: "6 h" },
  { minutes: 1440, label: "24 h" },
] as const;

const clock = (ms: number) => new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
const clockSeconds = (ms: number) => new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

type Point = { t: number } & Record<string, number | null>;

/**
 * Samples on a real time axis, with an empty point inside every gap longer than three sampling
 * intervals, so a pause in collection (a stopped VM, a silent host) shows as a break in the line.
 */
export function withGaps<T extends Record<string, number>>(samples: ({ t: number } & T)[]): Point[] {
  if (samples.length < 3) return samples;
  const steps = samples
    .slice(1)
    .map((s, i) => s.t - samples[i]!.t)
    .sort((a, b) => a - b);
  const step = steps[Math.floor(steps.length / 2)]!;
  const out: Point[] = [];
  samples.forEach((s, i) => {
    const prev = samples[i - 1];
    if (prev && s.t - prev.t > 3 * step) {
      const gap: Point = { t: prev.t + step };
      for (const k of Object.keys(s)) if (k !== "t") gap[k] = null;
      out.push(gap);
    }
    out.push(s);
  });
  return out;
}
export function formatBytesRate(bps: number) {
  if (bps >= 1024 ** 2) return `${(bps / 1024 ** 2).toFixed(1)} MiB/s`;
  if (bps >= 1024) return `${(bps / 1024).toFixed(1)} KiB/s`;
  return `${Math.round(bps)} B/s`;
}

function Chart({
  title,
  data,
  lines,
  unit,
  format,
}: {
  title: string;
  data: Point[];
  lines: { key: string; label: string; color: string }[];
  unit?: string;
  format?: (v: number) => string;
}) {
  return (
    <figure className="min-w-0" aria-label={title} data-testid={`metrics-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`}>
      <figcaption className="mb-1 text-xs font-medium text-slate-600">{title}</figcaption>
      <div className="h-40">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={["dataMin", "dataMax"]}
              tickFormatter={clock}
              tick={{ fontSize: 10, fill: "#475569" }}
              minTickGap={24}
            />
            {/* Wide enough for "1023.9 KiB/s": labels are never clipped. */}
            <YAxis tick={{ fontSize: 10, fill: "#475569" }} width={format ? 80 : 64} unit={unit} tickFormatter={format} />
            <Tooltip
              labelFormatter={(t) => clockSeconds(Number(t))}
              formatter={(v) => (format ? format(Number(v)) : `${Number(v)}${unit ?? ""}`)}
            />
            {lines.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {lines.map((l) => (
              <Line
                key={l.key}
                type="monotone"
                dataKey={l.key}
                name={l.label}
                stroke={l.color}
                dot={false}
                connectNulls={false}
                isAnimationActive={false}
                strokeWidth={1.5}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/**
 * CPU, memory, disk and network charts of one instance, from metrics.forInstance (scoped like
 * instance.get). Include it on the instance page: `<InstanceMetrics instanceId={vm.id} />`.
 * With `hideWhenEmpty` nothing is drawn until the window holds a sample (e.g. a stopped VM).
 */
export function InstanceMetrics({ instanceId, hideWhenEmpty = false }: { instanceId: string; hideWhenEmpty?: boolean }) {
  const trpc = useTRPC();
  const [minutes, setMinutes] = useState<number>(60);
  const q = useQuery({ ...trpc.metrics.forInstance.queryOptions({ id: instanceId, minutes }), refetchInterval: REFRESH_MS });
  const picker = (
    <div className="flex gap-1" role="group" aria-label="Time window">
      {windows.map((w) => (
        <button
          key={w.minutes}
          type="button"
          aria-pressed={minutes === w.minutes}
          onClick={() => setMinutes(w.minutes)}
          className={`rounded px-2 py-0.5 text-xs ${minutes === w.minutes ? "bg-slate-800 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"}`}
        >
          {w.label}
        </button>
      ))}
    </div>
  );
  if (hideWhenEmpty && (q.isPending || (q.isSuccess && q.data.samples.length === 0))) return null;
  let body: React.ReactNode;
  if (q.isPending) body = <Loading label="Loading metrics…" />;
  else if (q.isError) body = <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  else if (q.data.samples.length === 0)
    body = <EmptyState title="No metrics yet" hint="Samples are taken every 30 seconds while the instance runs." />;
  else {
    const data = withGaps(
      q.data.samples.map((s) => ({
        t: new Date(s.at).getTime(),
        cpu: s.cpuPercent,
        memory: s.memoryMib,
        read: s.diskReadBps,
        write: s.diskWriteBps,
        rx: s.netRxBps,
        tx: s.netTxBps,
      })),
    );
    body = (
      <div className="grid gap-4 md:grid-cols-2">
        <Chart title="CPU" data={data} unit="%" lines={[{ key: "cpu", label: "CPU", color: "#2563eb" }]} />
        <Chart
          title={`Memory (of ${q.data.memoryTotalMib} MiB)`}
          data={data}
          unit=" MiB"
          lines={[{ key: "memory", label: "Memory", color: "#7c3aed" }]}
        />
        <Chart
          title="Disk"
          data={data}
          format={formatBytesRate}
          lines={[
            { key: "read", label: "Read", color: "#0891b2" },
            { key: "write", label: "Write", color: "#ea580c" },
          ]}
        />
        <Chart
          title="Network"
          data={data}
          format={formatBytesRate}
          lines={[
            { key: "rx", label: "Received", color: "#16a34a" },
            { key: "tx", label: "Sent", color: "#db2777" },
          ]}
        />
      </div>
    );
  }
  return (
    <Card title="Metrics" actions={picker}>
      <div data-testid="instance-metrics">{body}</div>
    </Card>
  );
}

/** Host load for admins: running VMs, CPU (percent of the host's cores) and memory used by VMs. */
export function HostLoad({ hostId }: { hostId: string }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.metrics.forHost.queryOptions({ id: hostId, minutes: 360 }), refetchInterval: REFRESH_MS });
  if (q.isPending) return <Loading label="Loading host load…" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (q.data.samples.length === 0) return <EmptyState title="No load samples yet" />;
  const data = withGaps(
    q.data.samples.map((s) => ({ t: new Date(s.at).getTime(), cpu: s.cpuPercent, memory: s.memoryMib, vms: s.runningVms })),
  );
  return (
    <div className="grid gap-4 md:grid-cols-3" data-testid="host-load">
      <Chart title="Host CPU" data={data} unit="%" lines={[{ key: "cpu", label: "CPU", color: "#2563eb" }]} />
      <Chart
        title={`VM memory (of ${q.data.memoryTotalMib} MiB)`}
        data={data}
        unit=" MiB"
        lines={[{ key: "memory", label: "Memory", color: "#7c3aed" }]}
      />
      <Chart title="Running VMs" data={data} lines={[{ key: "vms", label: "VMs", color: "#16a34a" }]} />
    </div>
  );
}
