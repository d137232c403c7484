"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Bar, BarChart, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { stateLabel, type VmState } from "@/components/resource/instance-state";
import { useTRPC } from "@/lib/trpc/client";
import { cappedLabel, QueryCard } from "./query-card";

const colour: Partial<Record<VmState, string>> = {
  running: "#059669",
  stopped: "#94a3b8",
  error: "#dc2626",
  unknown: "#d97706",
  destroyed: "#b91c1c",
};

/** VMs by state in the caller's scope: a chart, and each state linking to the filtered instance list. */
export function VmStatesCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.vmStates.queryOptions());
  return (
    <QueryCard
      title="Instances by state"
      href="/instances"
      query={q}
      testId="card-vm-states"
      isEmpty={(rows) => rows.every((r) => r.count === 0)}
      empty={{ title: "No instances yet", hint: "Deploy one from the Instances page." }}
    >
      {(rows) => {
        const shown = rows.filter((r) => r.count > 0).map((r) => ({ ...r, label: stateLabel(r.state) }));
        const total = shown.reduce((s, r) => s + r.count, 0);
        return (
          <div className="p-4">
            <p className="text-sm text-slate-600">
              <span className="text-2xl font-semibold text-slate-900 tabular-nums" data-testid="vm-total">
                {total.toLocaleString("en-GB")}
                {shown.some((r) => r.capped) ? "+" : ""}
              </span>{" "}
              {total === 1 ? "instance" : "instances"}
            </p>
            <figure className="mt-3" style={{ height: 40 + 32 * shown.length }} aria-label="Instances by state chart">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={shown} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 0 }}>
                  <XAxis type="number" allowDecimals={false} tick={{ fontSize: 10, fill: "#475569" }} />
                  <YAxis type="category" dataKey="label" width={80} tick={{ fontSize: 11, fill: "#475569" }} />
                  <Tooltip />
                  <Bar dataKey="count" name="Instances" maxBarSize={24} isAnimationActive={false}>
                    {shown.map((r) => (
                      <Cell key={r.state} fill={colour[r.state] ?? "#2563eb"} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <ul className="mt-3 flex flex-wrap gap-2 text-sm">
              {shown.map((r) => (
                <li key={r.state}>
                  <Link
                    href={`/instances?state=${r.state}`}
                    data-testid={`vm-state-${r.state}`}
                    className="inline-flex items-center gap-1.5 rounded-full border border-slate-200 px-2.5 py-0.5 hover:border-brand-500/50 hover:bg-brand-50"
                  >
                    <span className="size-2 rounded-full" style={{ background: colour[r.state] ?? "#2563eb" }} aria-hidden="true" />
                    {r.label} <span className="font-semibold tabular-nums">{cappedLabel(r)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        );
      }}
    </QueryCard>
  );
}
