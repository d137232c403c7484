"use client";
import { useQuery } from "@tanstack/react-query";
import { formatMoney } from "@/components/resource/format";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

/** A tenant's spend this month and the forecast to month end (how it is computed is said on the card). */
export function SpendCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.spend.queryOptions());
  return (
    <QueryCard
      title="Spend this month"
      href="/billing"
      linkLabel="Billing"
      query={q}
      testId="card-spend"
      isEmpty={(s) => s.lines.length === 0}
      empty={{ title: "Nothing charged this month yet", hint: "Charges appear once a period of usage has been rated." }}
    >
      {(s) => (
        <div className="space-y-3 p-4">
          {s.lines.map((l) => (
            <dl key={l.currency} className="grid grid-cols-2 gap-3 text-sm" data-testid={`spend-${l.currency}`}>
              <div>
                <dt className="text-slate-600">So far</dt>
                <dd className="text-2xl font-semibold tabular-nums text-slate-900" data-testid="spend-so-far">
                  {formatMoney(String(l.spent), l.currency, 2)}
                </dd>
              </div>
              <div>
                <dt className="text-slate-600">Forecast to month end</dt>
                <dd className="text-2xl font-semibold tabular-nums text-slate-900" data-testid="spend-forecast">
                  {formatMoney(String(l.forecast), l.currency, 2)}
                </dd>
              </div>
              <p className="col-span-2 text-xs text-slate-600">
                Forecast = spend so far + the current run-rate ({formatMoney(String(l.hourly), l.currency)}/h, from the latest rated period)
                × {Math.round(s.hoursLeft)} hours left in {s.month}.
              </p>
            </dl>
          ))}
        </div>
      )}
    </QueryCard>
  );
}
