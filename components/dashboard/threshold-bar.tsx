"use client";
import { cn } from "@/components/ui/cn";

/**
 * Used against total as a bar, with the alert rule's warning and critical thresholds marked on it
 * (where a rule watches the resource); the bar turns amber and red past them.
 */
export function ThresholdBar({
  label,
  caption,
  used,
  total,
  format,
  warning,
  critical,
}: {
  label: string;
  caption: string;
  used: number;
  total: number;
  format: (n: number) => string;
  warning: number | null;
  critical: number | null;
}) {
  const pct = total > 0 ? (used / total) * 100 : 0;
  const tone = critical !== null && pct >= critical ? "bg-red-500" : warning !== null && pct >= warning ? "bg-amber-500" : "bg-brand-500";
  return (
    <div>
      <div className="flex items-baseline justify-between gap-2 text-xs">
        <span className="font-medium text-slate-700">{caption}</span>
        <span className="truncate tabular-nums text-slate-600">
          {total > 0 ? `${format(used)} / ${format(total)} (${Math.round(pct)}%)` : "none configured"}
        </span>
      </div>
      <div
        className="relative mt-1 h-2.5 rounded-full bg-slate-100"
        role="progressbar"
        aria-label={label}
        aria-valuenow={Math.round(pct)}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div className={cn("h-full rounded-full", tone)} style={{ width: `${Math.min(100, pct)}%` }} />
        {warning !== null && <Mark at={warning} className="bg-amber-600" title={`Warning at ${warning}%`} />}
        {critical !== null && <Mark at={critical} className="bg-red-700" title={`Critical at ${critical}%`} />}
      </div>
    </div>
  );
}

function Mark({ at, className, title }: { at: number; className: string; title: string }) {
  return (
    <span
      title={title}
      aria-hidden="true"
      className={cn("absolute -top-0.5 h-3.5 w-0.5", className)}
      style={{ left: `${Math.min(100, at)}%` }}
    />
  );
}
