"use client";
import { cn } from "@/components/ui/cn";
import { meteredResourceTypes, type ResourceType } from "@/lib/resource-types";
import { formatLimit, plainLabel } from "./limit-fields";

export interface LimitRow {
  resourceType: ResourceType;
  label: string;
  max: number | null;
  used: number;
}

/** Use against limit, one bar per metered resource type; unlimited shows the use alone. */
export function LimitBars({ rows }: { rows: LimitRow[] }) {
  return (
    <ul className="grid gap-x-8 gap-y-4 p-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Resource limits">
      {rows
        .filter((r) => meteredResourceTypes.includes(r.resourceType))
        .map((r) => {
          const t = r.resourceType;
          const pct = r.max === null ? 0 : r.max === 0 ? 100 : Math.min(100, (r.used / r.max) * 100);
          const tone = pct >= 90 ? "bg-red-500" : pct >= 70 ? "bg-amber-500" : "bg-brand-500";
          return (
            <li key={t} data-testid={`limit-${t}`}>
              <div className="flex items-baseline justify-between text-sm">
                <span className="font-medium text-slate-700">{plainLabel(t)}</span>
                <span className="tabular-nums text-slate-600">
                  {formatLimit(t, r.used)} / {formatLimit(t, r.max)}
                </span>
              </div>
              <div
                className="mt-1.5 h-2 overflow-hidden rounded-full bg-slate-100"
                role="progressbar"
                aria-label={plainLabel(t)}
                aria-valuenow={r.used}
                aria-valuemax={r.max ?? undefined}
              >
                <div
                  className={cn("h-full rounded-full", r.max === null ? "bg-slate-300" : tone)}
                  style={{ width: `${r.max === null ? Math.min(100, r.used > 0 ? 8 : 0) : pct}%` }}
                />
              </div>
            </li>
          );
        })}
    </ul>
  );
}
