"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

type StateFilter = "open" | "resolved" | "all";

/** Alerts in the caller's scope (open, history), their e-mail subscription, and (root admin) the rules' thresholds. */
export function AlertsView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const caller = useCaller();
  const [state, setState] = useState<StateFilter>("open");
  const list = useQuery({ ...trpc.alert.list.queryOptions({ state, pageSize: 100 }), refetchInterval: () => liveInterval(false) });
  const markRead = useMutation(
    trpc.alert.markRead.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.alert.counts.queryKey() }) }),
  );
  // Opening the page reads the alerts: the bell's count goes back to zero.
  const { mutate } = markRead;
  useEffect(() => mutate(), [mutate]);
  const isRoot = caller.permissions.includes("infra.manage");

  return (
    <div>
      <PageHeader
        title="Alerts"
        description={
          isRoot
            ? "Infrastructure and tenant alerts. They open and resolve by themselves as conditions change."
            : "Alerts about your resources. They open and resolve by themselves as conditions change."
        }
      />
      <div className="mb-3 flex flex-wrap gap-2" role="group" aria-label="Which alerts">
        {(["open", "resolved", "all"] as const).map((s) => (
          <Button key={s} size="sm" variant={state === s ? "primary" : "secondary"} onClick={() => setState(s)} aria-pressed={state === s}>
            {s === "open" ? "Open" : s === "resolved" ? "Resolved" : "All"}
          </Button>
        ))}
      </div>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full text-sm" data-testid="alerts-table">
          <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
            <tr>
              <th className="px-3 py-2">Severity</th>
              <th className="px-3 py-2">Alert</th>
              <th className="hidden px-3 py-2 md:table-cell">Opened</th>
              <th className="px-3 py-2">State</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data?.items.map((a) => (
              <tr key={a.id} className={a.unread ? "bg-amber-50/40" : undefined}>
                <td className="px-3 py-2 align-top">
                  <Badge tone={a.severity === "critical" ? "red" : "amber"}>{a.severity}</Badge>
                </td>
                <td className="px-3 py-2 align-top">
                  <p className="font-medium text-slate-900">{a.title}</p>
                  <p className="text-slate-600">{a.description}</p>
                  <p className="text-xs text-slate-500 md:hidden">Opened {formatRelative(a.openedAt)}</p>
                </td>
                <td
                  className="hidden px-3 py-2 align-top whitespace-nowrap text-slate-600 md:table-cell"
                  title={formatDateTime(a.openedAt)}
                >
                  {formatRelative(a.openedAt)}
                </td>
                <td className="px-3 py-2 align-top whitespace-nowrap">
                  {a.state === "open" ? (
                    <Badge tone="red">open</Badge>
                  ) : (
                    <span title={formatDateTime(a.resolvedAt)}>
                      <Badge tone="green">resolved</Badge>
                    </span>
                  )}
                </td>
              </tr>
            ))}
            {list.data && list.data.items.length === 0 && (
              <tr>
                <td colSpan={4} className="px-3 py-6 text-center text-slate-600">
                  {state === "open" ? "No open alerts. All is well." : "No alerts."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Subscription />
      {isRoot && <RulesEditor />}
    </div>
  );
}

function Subscription() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const sub = useQuery(trpc.alert.subscription.queryOptions());
  const save = useMutation(
    trpc.alert.subscribe.mutationOptions({
      onSuccess: () => {
        toast("Alert e-mail preferences saved");
        void qc.invalidateQueries({ queryKey: trpc.alert.subscription.queryKey() });
      },
      onError: (e) => toast(e.message, "error"),
    }),
  );
  if (!sub.data) return null;
  const current = sub.data;
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold text-slate-900">E-mail</h2>
      <p className="mb-3 text-sm text-slate-600">Alerts you can see are sent to the e-mail address of your user (Settings).</p>
      <div className="flex flex-wrap items-center gap-4 text-sm">
        <label className="flex items-center gap-2">
          <input
            type="checkbox"
            checked={current.email}
            onChange={(e) => save.mutate({ email: e.target.checked, minSeverity: current.minSeverity })}
          />
          Send me alerts by e-mail
        </label>
        <label className="flex items-center gap-2">
          At least
          <select
            className="rounded-md border border-slate-300 px-2 py-1"
            value={current.minSeverity}
            onChange={(e) => save.mutate({ email: current.email, minSeverity: e.target.value as "warning" | "critical" })}
          >
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
        </label>
      </div>
    </section>
  );
}

function RulesEditor() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rules = useQuery(trpc.alert.rules.queryOptions());
  const [draft, setDraft] = useState<Record<string, { warning: string; critical: string; enabled: boolean }>>({});
  const save = useMutation(
    trpc.alert.updateRule.mutationOptions({
      onSuccess: (r) => {
        toast(`Rule "${r.title}" saved`);
        void qc.invalidateQueries({ queryKey: trpc.alert.rules.queryKey() });
      },
      onError: (e) => toast(e.message, "error"),
    }),
  );
  if (!rules.data) return null;
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-4" data-testid="alert-rules">
      <h2 className="text-base font-semibold text-slate-900">Rules</h2>
      <p className="mb-3 text-sm text-slate-600">Evaluated every 30 seconds by default; a change applies at the next evaluation.</p>
      <ul className="divide-y divide-slate-100">
        {rules.data.map((r) => {
          const d = draft[r.rule] ?? { warning: String(r.warning ?? ""), critical: String(r.critical ?? ""), enabled: r.enabled };
          const set = (patch: Partial<typeof d>) => setDraft((x) => ({ ...x, [r.rule]: { ...d, ...patch } }));
          return (
            <li key={r.rule} className="flex flex-col gap-2 py-3 md:flex-row md:items-center">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900">{r.title}</p>
                <p className="text-sm text-slate-600">{r.description}</p>
              </div>
              <div className="flex flex-wrap items-center gap-3 text-sm">
                <label className="flex items-center gap-1.5">
                  <input type="checkbox" checked={d.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
                  On
                </label>
                {r.unit && (
                  <>
                    <label className="flex items-center gap-1">
                      Warning
                      <input
                        aria-label={`${r.title} warning threshold`}
                        className="w-20 rounded-md border border-slate-300 px-2 py-1"
                        inputMode="decimal"
                        value={d.warning}
                        onChange={(e) => set({ warning: e.target.value })}
                      />
                      {r.unit}
                    </label>
                    <label className="flex items-center gap-1">
                      Critical
                      <input
                        aria-label={`${r.title} critical threshold`}
                        className="w-20 rounded-md border border-slate-300 px-2 py-1"
                        inputMode="decimal"
                        value={d.critical}
                        onChange={(e) => set({ critical: e.target.value })}
                      />
                      {r.unit}
                    </label>
                  </>
                )}
                <Button
                  size="sm"
                  variant="secondary"
                  loading={save.isPending && save.variables?.rule === r.rule}
                  onClick={() =>
                    save.mutate({
                      rule: r.rule,
                      enabled: d.enabled,
                      ...(r.unit ? { warning: Number(d.warning), critical: Number(d.critical) } : {}),
                    })
                  }
                >
                  Save
                </Button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
