"use client";
import Link from "next/link";
import { type Crumb, Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";

interface DetailQuery {
  isPending: boolean;
  error: { message: string; data?: { code?: string } | null } | null;
  refetch: () => unknown;
}

/**
 * What an object's page shows until it has its object: loading, "not found" (another tenant's
 * object looks the same as a missing one) with a way back, or the error with Retry.
 */
export function DetailState({
  query,
  noun,
  crumbs,
  notFoundHint,
  back,
}: {
  query: DetailQuery;
  /** "Account", "Instance"… */
  noun: string;
  /** The page header to draw (none when the object is a panel of a page that has its own). */
  crumbs?: Crumb[];
  notFoundHint: string;
  back?: { href: string; label: string };
}) {
  return (
    <>
      {crumbs && <PageHeader title={noun} crumbs={crumbs} />}
      {query.isPending || !query.error ? (
        <Loading label={`Loading ${noun.toLowerCase()}…`} />
      ) : (
        <Card>
          {query.error.data?.code === "NOT_FOUND" ? (
            <EmptyState
              title={`${noun} not found`}
              hint={notFoundHint}
              action={
                back && (
                  <Link href={back.href} className="text-sm font-medium text-brand-700 hover:underline">
                    {back.label}
                  </Link>
                )
              }
            />
          ) : (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          )}
        </Card>
      )}
    </>
  );
}
