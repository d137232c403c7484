"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { cappedLabel, QueryCard, Stat } from "./query-card";

/** A reseller's subtree: how many domains and accounts it holds. */
export function SubtreeCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.subtree.queryOptions());
  return (
    <QueryCard title="Your customers" query={q} testId="card-subtree">
      {(s) => (
        <div className="grid grid-cols-2 gap-3 p-4">
          <Stat label="Accounts" value={cappedLabel(s.accounts)} href="/accounts" testId="subtree-accounts" />
          <Stat label="Domains" value={s.domains} href="/domains" testId="subtree-domains" />
        </div>
      )}
    </QueryCard>
  );
}
