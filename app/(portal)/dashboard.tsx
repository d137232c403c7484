"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LimitBars } from "@/components/resource/limit-bars";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Card, PageHeader } from "@/components/ui/page-header";
import { ErrorState, Loading, Skeleton } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

const roleLabel = { root_admin: "root administrator", domain_admin: "domain administrator", user: "user" } as const;

export function Dashboard() {
  const caller = useCaller();
  const trpc = useTRPC();
  const limits = useQuery(trpc.limit.mine.queryOptions());
  const isAdmin = useCan("account.read");
  return (
    <>
      <PageHeader
        title="Dashboard"
        description={`Signed in as ${caller.username} (${roleLabel[caller.accountType]}), account ${caller.accountName}`}
      />
      <div className="space-y-6">
        {isAdmin && <AdminSummary />}
        <Card title="Your account's limits and use">
          {limits.isPending ? (
            <Loading />
          ) : limits.error ? (
            <ErrorState error={limits.error} onRetry={() => void limits.refetch()} />
          ) : (
            <LimitBars rows={limits.data} />
          )}
        </Card>
      </div>
    </>
  );
}

/** For administrators: how big their part of the cloud is, with links to manage it. */
function AdminSummary() {
  const trpc = useTRPC();
  const domains = useQuery(trpc.domain.tree.queryOptions());
  const accounts = useQuery(trpc.account.list.queryOptions({ pageSize: 1 }));
  const users = useQuery(trpc.user.list.queryOptions({ pageSize: 1 }));
  const tiles = [
    { label: "Domains", href: "/domains", value: domains.data?.length, pending: domains.isPending },
    { label: "Accounts", href: "/accounts", value: accounts.data?.total, pending: accounts.isPending },
    { label: "Users", href: "/users", value: users.data?.total, pending: users.isPending },
  ];
  return (
    <section aria-label="Summary" className="grid gap-4 sm:grid-cols-3">
      {tiles.map((t) => (
        <Link
          key={t.label}
          href={t.href}
          className="group rounded-lg border border-slate-200 bg-white p-4 shadow-xs transition-colors hover:border-brand-500/40 hover:bg-brand-50/40"
        >
          <p className="text-sm font-medium text-slate-600">{t.label}</p>
          <div className="mt-1 text-2xl font-semibold tabular-nums text-slate-900">
            {t.pending ? <Skeleton className="h-8 w-10" /> : (t.value ?? "—")}
          </div>
          <p aria-hidden="true" className="mt-1 text-xs text-brand-700 opacity-0 transition-opacity group-hover:opacity-100">
            Manage {t.label.toLowerCase()} →
          </p>
        </Link>
      ))}
    </section>
  );
}
