"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import Link from "next/link";
import { errorMessage } from "@/components/resource/router-types";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Skeleton } from "@/components/ui/states";

/**
 * One dashboard card over one query: a skeleton while it loads, the error with a retry, an empty
 * state, else the card's body; `href` links the card to the list behind it.
 */
export function QueryCard<T>({
  title,
  href,
  linkLabel = "View all",
  query,
  isEmpty,
  empty,
  testId,
  className,
  children,
}: {
  title: string;
  href?: string;
  linkLabel?: string;
  query: UseQueryResult<T, unknown>;
  isEmpty?: (data: T) => boolean;
  empty?: { title: string; hint?: string };
  testId?: string;
  className?: string;
  children: (data: T) => React.ReactNode;
}) {
  const actions = href ? (
    <Link href={href} className="text-sm font-medium whitespace-nowrap text-brand-700 hover:underline">
      {linkLabel} →
    </Link>
  ) : undefined;
  let body: React.ReactNode;
  if (query.isPending) body = <CardSkeleton />;
  else if (query.isError) body = <ErrorState error={{ message: errorMessage(query.error) }} onRetry={() => void query.refetch()} />;
  else if (isEmpty?.(query.data)) body = <EmptyState title={empty?.title ?? "Nothing yet"} hint={empty?.hint} />;
  else body = children(query.data);
  return (
    <div data-testid={testId} className={className}>
      <Card title={title} actions={actions} className="h-full">
        {body}
      </Card>
    </div>
  );
}

function CardSkeleton() {
  return (
    <div role="status" aria-label="Loading" className="space-y-3 p-4">
      <Skeleton className="h-4 w-2/3" />
      <Skeleton className="h-4 w-1/2" />
      <Skeleton className="h-4 w-3/4" />
    </div>
  );
}

/** A big number with a label, linking to the list it counts. */
export function Stat({
  label,
  value,
  href,
  tone = "default",
  testId,
}: {
  label: string;
  value: React.ReactNode;
  href: string;
  tone?: "default" | "good" | "warn" | "bad";
  testId?: string;
}) {
  const color = { default: "text-slate-900", good: "text-emerald-700", warn: "text-amber-700", bad: "text-red-700" }[tone];
  return (
    <Link
      href={href}
      data-testid={testId}
      className="block rounded-md border border-slate-200 px-3 py-2 transition-colors hover:border-brand-500/40 hover:bg-brand-50/40"
    >
      <div className={`text-2xl font-semibold tabular-nums ${color}`}>{value}</div>
      <div className="text-xs font-medium text-slate-600">{label}</div>
    </Link>
  );
}

/** "1,000+" for a count that stopped at the cap. */
export const cappedLabel = (c: { count: number; capped: boolean }) => `${c.count.toLocaleString("en-GB")}${c.capped ? "+" : ""}`;
