"use client";
import { useQuery } from "@tanstack/react-query";
import { formatMoney } from "@/components/resource/format";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

/** A reseller's revenue against its cost this month: the Pricing page's figures (pricing.costRevenue). */
export function RevenueCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.revenue.queryOptions());
  return (
    <QueryCard
      title="Revenue and cost this month"
      href="/pricing"
      linkLabel="Pricing"
      query={q}
      testId="card-revenue"
      isEmpty={(r) => r.totals.length === 0}
      empty={{ title: "No usage priced this month yet", hint: "Revenue and cost appear once your customers' usage is rated." }}
    >
      {(r) => (
        <div className="space-y-3 p-4">
          {r.totals.map((t) => {
            const margin = Number(t.revenue) - Number(t.cost);
            const max = Math.max(Number(t.revenue), Number(t.cost), 1e-9);
            return (
              <dl key={t.currency} className="space-y-2 text-sm" data-testid={`revenue-${t.currency}`}>
                {[
                  { label: "Revenue (your prices)", value: t.revenue, bar: "bg-emerald-500" },
                  { label: "Cost (prices above you)", value: t.cost, bar: "bg-slate-400" },
                ].map((row) => (
                  <div key={row.label}>
                    <div className="flex justify-between gap-2">
                      <dt className="text-slate-600">{row.label}</dt>
                      <dd className="font-medium tabular-nums text-slate-900">{formatMoney(row.value, t.currency)}</dd>
                    </div>
                    <div className="mt-1 h-2 rounded-full bg-slate-100">
                      <div className={`h-full rounded-full ${row.bar}`} style={{ width: `${(Number(row.value) / max) * 100}%` }} />
                    </div>
                  </div>
                ))}
                <div className="flex justify-between gap-2 border-t border-slate-100 pt-2">
                  <dt className="font-medium text-slate-700">Margin</dt>
                  <dd className={`font-semibold tabular-nums ${margin < 0 ? "text-red-700" : "text-emerald-700"}`}>
                    {formatMoney(String(margin), t.currency)}
                  </dd>
                </div>
              </dl>
            );
          })}
        </div>
      )}
    </QueryCard>
  );
}
