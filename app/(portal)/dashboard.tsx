"use client";
import { useQuery } from "@tanstack/react-query";
import { LimitBars } from "@/components/resource/limit-bars";
import { useCaller } from "@/components/shell/caller-context";
import { Card, PageHeader } from "@/components/ui/page-header";
import { ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

export function Dashboard() {
  const caller = useCaller();
  const trpc = useTRPC();
  const limits = useQuery(trpc.limit.mine.queryOptions());
  return (
    <>
      <PageHeader title="Dashboard" description={`Signed in as ${caller.username}, account ${caller.accountName}`} />
      <Card title="Your account's limits and use">
        {limits.isPending ? (
          <Loading />
        ) : limits.error ? (
          <ErrorState error={limits.error} onRetry={() => limits.refetch()} />
        ) : (
          <LimitBars rows={limits.data} />
        )}
      </Card>
    </>
  );
}
