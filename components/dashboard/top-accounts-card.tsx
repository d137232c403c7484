"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatMib } from "@/components/resource/format";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

/** The accounts holding the most vCPUs now (current allocation from their limit counters, not usage). */
export function TopAccountsCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.topAccounts.queryOptions());
  return (
    <QueryCard
      title="Top accounts by current allocation"
      href="/accounts"
      query={q}
      testId="card-top-accounts"
      isEmpty={(r) => r.length === 0}
      empty={{ title: "No account holds resources yet" }}
    >
      {(rows) => {
        const max = Math.max(...rows.map((r) => r.vcpus), 1);
        return (
          <>
            <p className="px-4 pt-3 text-xs text-slate-600">vCPUs allocated right now (not this month&apos;s usage).</p>
            <ol className="divide-y divide-slate-100 text-sm">
              {rows.map((a) => (
                <li key={a.id} className="px-4 py-2">
                  <div className="flex items-baseline justify-between gap-2">
                    <Link href={`/accounts/${a.id}`} className="truncate font-medium text-brand-700 hover:underline">
                      {a.name}
                    </Link>
                    <span className="shrink-0 text-xs tabular-nums text-slate-600">
                      {a.vcpus} vCPU · {formatMib(a.memoryMib)} · {a.instances} VM{a.instances === 1 ? "" : "s"}
                    </span>
                  </div>
                  <div className="mt-1 h-1.5 rounded-full bg-slate-100">
                    <div className="h-full rounded-full bg-brand-500" style={{ width: `${(a.vcpus / max) * 100}%` }} />
                  </div>
                  <p className="text-xs text-slate-500">{a.domainName}</p>
                </li>
              ))}
            </ol>
          </>
        );
      }}
    </QueryCard>
  );
}
