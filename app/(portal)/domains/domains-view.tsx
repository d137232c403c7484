"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { accountColumns, useAccountActions } from "@/components/resource/account-actions";
import { CreateAccountDialog } from "@/components/resource/create-account-dialog";
import { DetailState } from "@/components/resource/detail-state";
import { displayPath, DomainTree } from "@/components/resource/domain-tree";
import { formatDateTime } from "@/components/resource/format";
import { LimitsCard } from "@/components/resource/limits-editor";
import type { DomainNode } from "@/components/resource/router-types";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, useTableState } from "@/components/ui/data-table";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { ActionBar } from "@/components/ui/row-menu";
import { EmptyState, ErrorState, Loading, Skeleton } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { useDomainActions } from "./domain-dialogs";
/**
 * Domains: the caller's visible subtree on the left, the selected domain on the right. The URL
 * follows the selection (/domains/<id>) so a domain can be linked and reloaded.
 */
export function DomainsView({ initialId }: { initialId?: string }) {
  const trpc = useTRPC();
  const tree = useQuery(trpc.domain.tree.queryOptions());
  const [chosenId, setSelectedId] = useState<string | null>(initialId ?? null);

  // With no domain in the URL, show the top of the visible tree (ROOT, or a reseller's own domain).
  const selectedId = chosenId || (tree.data?.[0]?.id ?? null);

  const select = (id: string) => {
    setSelectedId(id);
    window.history.replaceState(null, "", `/domains/${id}`);
  };

  const nodes = tree.data ?? [];
  const selected = nodes.find((n) => n.id === selectedId) ?? null;

  return (
    <>
      <PageHeader
        title="Domains"
        crumbs={[{ label: "Administration" }, { label: "Domains", href: "/domains" }, ...(selected ? [{ label: selected.name }] : [])]}
        description="Domains group accounts into a tree; a domain admin manages everything below its domain."
      />
      <div className="grid items-start gap-6 lg:grid-cols-[18rem_minmax(0,1fr)]">
        <Card title="Domain tree" className="lg:sticky lg:top-4">
          {tree.isPending ? (
            <div className="space-y-2 p-4">
              {Array.from({ length: 4 }, (_, i) => (
                <Skeleton key={i} className="h-5 w-full" />
              ))}
            </div>
          ) : tree.error ? (
            <ErrorState error={tree.error} onRetry={() => void tree.refetch()} />
          ) : nodes.length === 0 ? (
            <EmptyState title="No domains" />
          ) : (
            <nav aria-label="Domain tree" className="max-h-[70vh] overflow-y-auto">
              <DomainTree nodes={nodes} selectedId={selectedId} onSelect={select} />
            </nav>
          )}
        </Card>
        <div className="min-w-0">
          {selectedId ? (
            <DomainDetail key={selectedId} id={selectedId} nodes={nodes} onSelect={select} />
          ) : tree.isPending ? (
            <Loading />
          ) : null}
        </div>
      </div>
    </>
  );
}

function DomainDetail({ id, nodes, onSelect }: { id: string; nodes: DomainNode[]; onSelect: (id: string) => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const caller = useCaller();
  const canManageAccounts = useCan("account.manage");
  const canManageLimits = useCan("limit.manage");
  const domain = useQuery(trpc.domain.get.queryOptions({ id }));
  const table = useTableState({ sort: "name" });
  const accounts = useQuery({
    ...trpc.account.list.queryOptions({ ...table.query, domainId: id, includeSubdomains: false }, { placeholderData: keepPreviousData }),
    enabled: domain.isSuccess,
  });
  const limits = useQuery({ ...trpc.limit.forDomain.queryOptions({ domainId: id }), enabled: domain.isSuccess && canManageLimits });
  const domainActions = useDomainActions(nodes, onSelect);
  const accountActions = useAccountActions();
  const [addingAccount, setAddingAccount] = useState(false);

  if (!domain.data) {
    return (
      <DetailState
        query={domain}
        noun="Domain"
        notFoundHint="It does not exist, or it is outside the domains you can see."
        back={{ href: "/domains", label: "Back to your domains" }}
      />
    );
  }

  const d = domain.data;
  const node = nodes.find((n) => n.id === id);
  const isRoot = d.parentId === null;
  const isOwn = caller.accountType !== "root_admin" && d.id === caller.domainId;
  const current: DomainNode = node ?? { ...d, accountCount: accounts.data?.total ?? 0, childCount: 0 };

  return (
    <div className="space-y-6">
      <Card>
        <div className="flex flex-wrap items-start justify-between gap-4 p-4">
          <div className="min-w-0">
            <h2 className="truncate text-lg font-semibold text-slate-900">{d.name}</h2>
            <p className="mt-0.5 truncate text-sm text-slate-600" title="Path">
              {displayPath(nodes, d.id) || d.name}
            </p>
            <div className="mt-2 flex flex-wrap gap-1.5">
              {isRoot && <Badge tone="blue">ROOT</Badge>}
              {isOwn && <Badge tone="blue">Your domain</Badge>}
              <Badge>Level {d.level}</Badge>
            </div>
          </div>
          <ActionBar label="Domain actions" actions={domainActions.actions(current)} />
        </div>
        <div className="border-t border-slate-100">
          <Facts>
            <Fact label="Sub-domains">{node?.childCount ?? "—"}</Fact>
            <Fact label="Accounts">{node?.accountCount ?? accounts.data?.total ?? "—"}</Fact>
            <Fact label="Created">{formatDateTime(d.createdAt)}</Fact>
            <Fact label="Events">
              <Link href={`/events?domainId=${d.id}`} className="font-medium text-brand-700 hover:underline">
                Events of this domain
              </Link>
            </Fact>
          </Facts>
        </div>
      </Card>

      <section aria-labelledby="domain-accounts" className="space-y-3">
        <h2 id="domain-accounts" className="text-base font-semibold text-slate-800">
          Accounts in this domain
        </h2>
        <DataTable
          label="accounts in this domain"
          noun={["account", "accounts"]}
          columns={accountColumns}
          query={accounts}
          table={table}
          rowKey={(a) => a.id}
          rowName={(a) => a.name}
          rowActions={accountActions.actions}
          emptyTitle="No accounts in this domain"
          emptyHint="Accounts in sub-domains are listed under their own domain."
          toolbar={
            canManageAccounts && (
              <Button size="sm" variant="secondary" onClick={() => setAddingAccount(true)}>
                Add account
              </Button>
            )
          }
        />
      </section>

      {canManageLimits && (
        <LimitsCard
          title="Domain limits"
          query={limits}
          editable={!isRoot && !isOwn}
          readOnlyReason={
            isRoot ? "The ROOT domain is always unlimited." : "Your domain's limits are set by your parent domain's administrator."
          }
          onSave={(l) => client.limit.setForDomain.mutate({ domainId: d.id, limits: l })}
        />
      )}

      {domainActions.dialogs}
      {accountActions.dialogs}
      <CreateAccountDialog open={addingAccount} onClose={() => setAddingAccount(false)} defaultDomainId={d.id} />
    </div>
  );
}
