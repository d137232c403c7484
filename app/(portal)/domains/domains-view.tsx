"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CreateAccountDialog } from "@/components/resource/create-account-dialog";
import { displayPath, DomainTree } from "@/components/resource/domain-tree";
import { accountTypeLabel, formatDateTime } from "@/components/resource/format";
import { LimitsEditor } from "@/components/resource/limits-editor";
import { errorMessage, type DomainNode } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading, Skeleton } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { CreateDomainDialog, MoveDomainDialog, RenameDomainDialog } from "./domain-dialogs";

/**
 * Domains: the caller's visible subtree on the left, the selected domain on the right. The URL
 * follows the selection (/domains/<id>) so a domain can be linked and reloaded.
 */
export function DomainsView({ initialId }: { initialId?: string }) {
  const trpc = useTRPC();
  const tree = useQuery(trpc.domain.tree.queryOptions());
  const [chosenId, setSelectedId] = useState<string | null>(initialId ?? null);
  const [adding, setAdding] = useState<DomainNode | null>(null);

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
            <DomainDetail key={selectedId} id={selectedId} nodes={nodes} onSelect={select} onAddSubdomain={setAdding} />
          ) : tree.isPending ? (
            <Loading />
          ) : null}
        </div>
      </div>
      <CreateDomainDialog parent={adding} nodes={nodes} onClose={() => setAdding(null)} onCreated={select} />
    </>
  );
}

function Stat({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-0.5 text-lg font-semibold text-slate-900 tabular-nums">{value}</dd>
    </div>
  );
}

function DomainDetail({
  id,
  nodes,
  onSelect,
  onAddSubdomain,
}: {
  id: string;
  nodes: DomainNode[];
  onSelect: (id: string) => void;
  onAddSubdomain: (d: DomainNode) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const caller = useCaller();
  const canManage = useCan("domain.manage");
  const canManageAccounts = useCan("account.manage");
  const canManageLimits = useCan("limit.manage");
  const domain = useQuery(trpc.domain.get.queryOptions({ id }));
  const node = nodes.find((n) => n.id === id);
  const accounts = useQuery({
    ...trpc.account.list.queryOptions({ domainId: id, includeSubdomains: false, pageSize: 100, sort: "name" }),
    enabled: domain.isSuccess,
  });
  const limits = useQuery({ ...trpc.limit.forDomain.queryOptions({ domainId: id }), enabled: domain.isSuccess && canManageLimits });
  const setLimits = useMutation(
    trpc.limit.setForDomain.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() });
        toast("Domain limits saved");
      },
    }),
  );
  const [renaming, setRenaming] = useState<DomainNode | null>(null);
  const [moving, setMoving] = useState<DomainNode | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [addingAccount, setAddingAccount] = useState(false);
  const remove = useMutation(
    trpc.domain.delete.mutationOptions({
      onSuccess: async () => {
        const parentId = node?.parentId;
        setDeleting(false);
        toast(`Domain ${domain.data?.name ?? ""} deleted`);
        // Select the parent first, so the deleted domain's detail is not refetched (and "not found").
        if (parentId) onSelect(parentId);
        await queryClient.invalidateQueries({ queryKey: trpc.domain.pathKey() });
      },
    }),
  );

  if (domain.isPending) return <Loading label="Loading domain…" />;
  if (domain.error) {
    const notFound = domain.error.data?.code === "NOT_FOUND";
    return (
      <Card>
        {notFound ? (
          <EmptyState
            title="Domain not found"
            hint="It does not exist, or it is outside the domains you can see."
            action={
              <Link href="/domains" className="text-sm font-medium text-brand-700 hover:underline">
                Back to your domains
              </Link>
            }
          />
        ) : (
          <ErrorState error={domain.error} onRetry={() => void domain.refetch()} />
        )}
      </Card>
    );
  }

  const d = domain.data;
  const isRoot = d.parentId === null;
  const isOwn = caller.accountType !== "root_admin" && d.id === caller.domainId;
  const changeable = canManage && !isRoot && !isOwn;
  const limitsEditable = canManageLimits && !isRoot && !isOwn;
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
          <div className="flex flex-wrap gap-2">
            {canManage && (
              <Button variant="secondary" size="sm" onClick={() => onAddSubdomain(current)}>
                Add sub-domain
              </Button>
            )}
            {changeable && (
              <>
                <Button variant="secondary" size="sm" onClick={() => setRenaming(current)}>
                  Rename
                </Button>
                <Button variant="secondary" size="sm" onClick={() => setMoving(current)}>
                  Move
                </Button>
                <Button
                  variant="danger"
                  size="sm"
                  onClick={() => {
                    remove.reset();
                    setDeleting(true);
                  }}
                >
                  Delete
                </Button>
              </>
            )}
          </div>
        </div>
        <dl className="grid grid-cols-2 gap-3 border-t border-slate-100 p-4 sm:grid-cols-4">
          <Stat label="Sub-domains" value={node?.childCount ?? "—"} />
          <Stat label="Accounts" value={node?.accountCount ?? accounts.data?.total ?? "—"} />
          <Stat label="Created" value={<span className="text-sm font-medium">{formatDateTime(d.createdAt)}</span>} />
          <Stat label="Id" value={<span className="block truncate font-mono text-xs font-normal text-slate-600">{d.id}</span>} />
        </dl>
      </Card>

      <Card
        title="Accounts in this domain"
        actions={
          canManageAccounts ? (
            <Button size="sm" variant="secondary" onClick={() => setAddingAccount(true)}>
              Add account
            </Button>
          ) : undefined
        }
      >
        {accounts.isPending ? (
          <Loading />
        ) : accounts.error ? (
          <ErrorState error={accounts.error} onRetry={() => void accounts.refetch()} />
        ) : accounts.data.items.length === 0 ? (
          <EmptyState title="No accounts in this domain" hint="Accounts in sub-domains are listed under their own domain." />
        ) : (
          <table className="min-w-full divide-y divide-slate-100 text-sm" aria-label="Accounts in this domain">
            <thead className="bg-slate-50">
              <tr>
                <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
                  Name
                </th>
                <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
                  Type
                </th>
                <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
                  State
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {accounts.data.items.map((a) => (
                <tr key={a.id} className="hover:bg-slate-50">
                  <td className="px-4 py-2">
                    <Link href={`/accounts/${a.id}`} className="font-medium text-brand-700 hover:underline">
                      {a.name}
                    </Link>
                  </td>
                  <td className="px-4 py-2 text-slate-600">{accountTypeLabel[a.type]}</td>
                  <td className="px-4 py-2">
                    <StateBadge state={a.state} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>

      {canManageLimits && (
        <Card title="Domain limits">
          {limits.isPending ? (
            <Loading />
          ) : limits.error ? (
            <ErrorState error={limits.error} onRetry={() => void limits.refetch()} />
          ) : (
            <LimitsEditor
              rows={limits.data.limits}
              editable={limitsEditable}
              readOnlyReason={
                isRoot ? "The ROOT domain is always unlimited." : "Your domain's limits are set by your parent domain's administrator."
              }
              saving={setLimits.isPending}
              onSave={(l) => setLimits.mutateAsync({ domainId: d.id, limits: l })}
            />
          )}
        </Card>
      )}

      <RenameDomainDialog domain={renaming} onClose={() => setRenaming(null)} />
      <MoveDomainDialog domain={moving} nodes={nodes} onClose={() => setMoving(null)} />
      <CreateAccountDialog open={addingAccount} onClose={() => setAddingAccount(false)} defaultDomainId={d.id} />
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete domain ${d.name}?`}
        message={
          <p>
            The domain is removed for good. A domain that still has sub-domains, accounts or offerings is refused; delete or move them
            first.
          </p>
        }
        confirmLabel="Delete domain"
        danger
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ id: d.id })}
      />
    </div>
  );
}
