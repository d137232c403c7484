"use client";
import { useQuery } from "@tanstack/react-query";
import { LimitBars } from "@/components/resource/limit-bars";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

/** Use against limits: the account's for a tenant, the whole subtree's (its domain's counters) for a reseller. */
export function LimitsCard({ href }: { href?: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.limits.queryOptions());
  return (
    <QueryCard
      title={q.data?.owner === "domain" ? "Your domain's use against its limits" : "Your account's use against its limits"}
      href={href}
      linkLabel="Manage"
      query={q}
      testId="card-limits"
    >
      {(d) => <LimitBars rows={d.rows} />}
    </QueryCard>
  );
}
