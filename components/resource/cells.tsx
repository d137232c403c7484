import Link from "next/link";
import { formatDateTime, formatRelative } from "./format";
import { Badge, StateBadge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";

/** Table cells the resource pages share. */

/** "—" for a value that is not there (muted, but readable: WCAG AA contrast). */
export const None = ({ children = "—" }: { children?: React.ReactNode }) => <span className="text-slate-600">{children}</span>;

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <None />;
  return (
    <span className="flex flex-wrap gap-1">
      {tags.map((t) => (
        <Badge key={t} tone="gray">
          {t}
        </Badge>
      ))}
    </span>
  );
}

/** A name with a smaller line under it (description, address, path). */
export function TwoLine({ main, sub, mono }: { main: React.ReactNode; sub?: React.ReactNode; mono?: boolean }) {
  return (
    <div className="min-w-0">
      <div className="font-medium text-slate-900">{main}</div>
      {sub && <div className={cn("text-xs text-slate-600", mono && "font-mono break-all")}>{sub}</div>}
    </div>
  );
}

/** Used against total as a bar; amber from 70 %, red from 90 %. `compact` for table cells. */
export function UsageBar({
  label,
  caption,
  used,
  total,
  format,
  compact,
}: {
  /** The bar's accessible name ("CPU of zone Z1"); `caption` is the visible one ("CPU"). */
  label: string;
  caption?: string;
  used: number;
  total: number;
  format: (n: number) => string;
  compact?: boolean;
}) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : used > 0 ? 100 : 0;
  const tone = pct >= 90 ? "bg-red-500" : pct >= 70 ? "bg-amber-500" : "bg-brand-500";
  return (
    <div className={compact ? "min-w-32" : undefined}>
      <div className={cn("flex items-baseline justify-between gap-2", compact ? "text-xs" : "text-sm")}>
        {!compact && <span className="font-medium text-slate-700">{caption ?? label}</span>}
        <span className="whitespace-nowrap tabular-nums text-slate-600">
          {total > 0 ? `${format(used)} / ${format(total)}` : "none"}
          {total > 0 && <span className="ml-1">({Math.round(pct)}%)</span>}
        </span>
      </div>
      <div
        className={cn("mt-1 overflow-hidden rounded-full bg-slate-100", compact ? "h-1.5" : "h-2.5")}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuenow={used}
        aria-valuemax={total}
        aria-valuetext={total > 0 ? `${format(used)} of ${format(total)} used` : "No capacity"}
      >
        <div className={cn("h-full rounded-full", tone)} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** A moment as "5 min ago", the full date and time on hover. */
export function When({ at }: { at: Date | string | null | undefined }) {
  return <span title={formatDateTime(at)}>{formatRelative(at)}</span>;
}

interface Ref {
  id: string | null | undefined;
  name: string | null | undefined;
}

/** An object's name linked to its page; "—" when there is none. */
function NameLink({ href, name }: { href: string | null; name: string | null | undefined }) {
  if (!href || !name) return <None />;
  return (
    <Link href={href} className="font-medium whitespace-nowrap text-brand-700 hover:underline">
      {name}
    </Link>
  );
}

/** A host, linked to its page (only root admins see hosts). */
export const HostLink = ({ id, name }: Ref) => <NameLink href={id ? `/infrastructure/hosts/${id}` : null} name={name} />;
export const AccountLink = ({ id, name }: Ref) => <NameLink href={id ? `/accounts/${id}` : null} name={name} />;

/** Whether a host answers, and its admin state when it is not simply enabled. */
export function HostStatus({ status, state }: { status: string; state: string }) {
  return (
    <span className="inline-flex flex-wrap gap-1 align-middle">
      <StateBadge state={status} />
      {state !== "enabled" && <StateBadge state={state} />}
    </span>
  );
}
