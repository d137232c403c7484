"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { type ActionTarget, InstanceActionDialog, operationLabel } from "@/components/resource/instance-actions";
import { canOperate, formatSize, InstanceStateBadge, stateLabel, transitionalStates, type VmOperation, vmStates } from "@/components/resource/instance-state";
import { jobVerb, ProgressBar } from "@/components/resource/job-progress";
import { RowMenu } from "@/components/ui/row-menu";
import { errorMessage, type RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { useTableState } from "@/components/ui/data-table";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Skeleton, Spinner } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

type Row = RouterOutputs["instance"]["list"]["items"][number];
type BulkAction = "start" | "stop" | "reboot" | "destroy";
const bulkActions: BulkAction[] = ["start", "stop", "reboot", "destroy"];
type VmStateFilter = (typeof vmStates)[number];

/** Poll fast while something moves, slowly otherwise (the reconciler may change states too). */
const busy = (rows: Row[] | undefined) => !!rows?.some((r) => r.activeJob || transitionalStates.includes(r.state));

export function InstancesList() {
  const trpc = useTRPC();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  // Hosts are infrastructure: only the root admin sees them (as in CloudStack).
  const rootAdmin = caller.accountType === "root_admin";
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const [state, setState] = useState<VmStateFilter | "">("");
  const [zoneId, setZoneId] = useState("");
  const [domainId, setDomainId] = useState("");
  const [accountId, setAccountId] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<{ target: ActionTarget; action: VmOperation } | null>(null);
  const [bulk, setBulk] = useState<BulkAction | null>(null);

  const input = {
    ...table.query,
    state: state || undefined,
    zoneId: zoneId || undefined,
    domainId: domainId || undefined,
    accountId: accountId || undefined,
  };
  const list = useQuery(
    trpc.instance.list.queryOptions(input, {
      placeholderData: keepPreviousData,
      refetchInterval: (q) => (busy(q.state.data?.items) ? 1000 : 15_000),
    }),
  );
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const domains = useQuery({ ...trpc.domain.tree.queryOptions(), enabled: admin });
  const accounts = useQuery({
    ...trpc.account.list.queryOptions({ domainId: domainId || undefined, pageSize: 200, sort: "name" }),
    enabled: admin,
  });

  const rows = list.data?.items;
  const visibleSelected = useMemo(() => (rows ?? []).filter((r) => selected.has(r.id)), [rows, selected]);
  const allSelected = !!rows && rows.length > 0 && visibleSelected.length === rows.length;
  const filtered = !!(state || zoneId || domainId || accountId || table.state.search);
  const { state: ts } = table;
  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / ts.pageSize));

  const domainNames = useMemo(() => {
    const byId = new Map((domains.data ?? []).map((d) => [d.id, d]));
    return (domains.data ?? []).map((d) => {
      const parts: string[] = [];
      for (let n: typeof d | undefined = d; n; n = n.parentId ? byId.get(n.parentId) : undefined) parts.unshift(n.name);
      return { id: d.id, label: parts.join(" / ") };
    });
  }, [domains.data]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const resetPaging = () => {
    table.setPage(1);
    setSelected(new Set());
  };

  const sortHeader = (key: string, label: string, className?: string) => (
    <th scope="col" className={cn("px-3 py-2.5 text-left font-medium text-slate-600", className)} aria-sort={ts.sort === key ? (ts.dir === "asc" ? "ascending" : "descending") : undefined}>
      <button type="button" className="inline-flex items-center gap-1 hover:text-slate-900" onClick={() => table.toggleSort(key)}>
        {label}
        <span aria-hidden="true" className="text-xs">
          {ts.sort === key ? (ts.dir === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
  const colCount = 8 + (admin ? 1 : 0) + (rootAdmin ? 1 : 0);

  return (
    <>
      <PageHeader
        title="Instances"
        crumbs={[{ label: "Compute" }, { label: "Instances" }]}
        description={admin ? "Virtual machines in your scope, across the accounts you manage." : "Your account's virtual machines."}
        actions={
          <Link href="/instances/new" className="inline-flex h-9 items-center rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-xs hover:bg-brand-700">
            Deploy instance
          </Link>
        }
      />

      <div className="rounded-lg border border-slate-200 bg-white shadow-xs">
        <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 p-3" role="search" aria-label="Filter instances">
          <Input
            type="search"
            aria-label="Search instances"
            placeholder="Search name or IP…"
            value={ts.search}
            onChange={(e) => {
              table.setSearch(e.target.value);
              setSelected(new Set());
            }}
            className="max-w-60"
          />
          <div className="w-36">
          <Select
            aria-label="State"
            value={state}
            onChange={(e) => {
              setState(e.target.value as VmStateFilter | "");
              resetPaging();
            }}
          >
            <option value="">All states</option>
            {vmStates
              .filter((s) => s !== "expunged")
              .map((s) => (
                <option key={s} value={s}>
                  {stateLabel(s)}
                </option>
              ))}
          </Select>
          </div>
          <div className="w-36">
          <Select
            aria-label="Zone"
            value={zoneId}
            onChange={(e) => {
              setZoneId(e.target.value);
              resetPaging();
            }}
          >
            <option value="">All zones</option>
            {choices.data?.zones.map((z) => (
              <option key={z.id} value={z.id}>
                {z.name}
              </option>
            ))}
          </Select>
          </div>
          {admin && (
            <>
              <div className="w-48">
              <Select
                aria-label="Domain"
                value={domainId}
                onChange={(e) => {
                  setDomainId(e.target.value);
                  setAccountId("");
                  resetPaging();
                }}
              >
                <option value="">All domains</option>
                {domainNames.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </Select>
              </div>
              <div className="w-44">
              <Select
                aria-label="Account"
                value={accountId}
                onChange={(e) => {
                  setAccountId(e.target.value);
                  resetPaging();
                }}
              >
                <option value="">All accounts</option>
                {accounts.data?.items.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </Select>
              </div>
            </>
          )}
          {filtered && (
            <Button
              variant="ghost"
              size="sm"
              onClick={() => {
                table.setSearch("");
                setState("");
                setZoneId("");
                setDomainId("");
                setAccountId("");
                resetPaging();
              }}
            >
              Clear filters
            </Button>
          )}
          <span className="ml-auto flex items-center gap-1.5 text-xs text-slate-500" aria-live="polite">
            {list.isFetching && !list.isPending && <Spinner className="size-3.5" />}
            {busy(rows) ? "Live: jobs in progress" : list.dataUpdatedAt ? `Updated ${formatRelative(new Date(list.dataUpdatedAt))}` : ""}
          </span>
        </div>

        {visibleSelected.length > 0 && (
          <div role="toolbar" aria-label="Bulk actions" className="flex flex-wrap items-center gap-2 border-b border-brand-100 bg-brand-50 px-3 py-2 text-sm">
            <span className="font-medium text-brand-800">{visibleSelected.length} selected</span>
            <span className="mx-1 h-4 w-px bg-brand-200" aria-hidden="true" />
            {bulkActions.map((a) => {
              const eligible = visibleSelected.filter((r) => !r.activeJob && canOperate(a, r.state)).length;
              return (
                <Button
                  key={a}
                  size="sm"
                  variant={a === "destroy" ? "danger" : "secondary"}
                  disabled={eligible === 0}
                  title={eligible === 0 ? `None of the selected instances can be ${a === "stop" ? "stopped" : a + "ed"} now` : undefined}
                  onClick={() => setBulk(a)}
                >
                  {operationLabel[a]} selected{eligible !== visibleSelected.length && eligible > 0 ? ` (${eligible})` : ""}
                </Button>
              );
            })}
            <Button size="sm" variant="ghost" className="ml-auto" onClick={() => setSelected(new Set())}>
              Clear selection
            </Button>
          </div>
        )}

        {list.error ? (
          <ErrorState error={list.error} onRetry={() => list.refetch()} />
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Instances">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className="w-10 px-3 py-2.5">
                    <input
                      type="checkbox"
                      aria-label="Select all instances on this page"
                      className="size-4 rounded border-slate-300"
                      checked={allSelected}
                      disabled={!rows?.length}
                      onChange={() => setSelected(allSelected ? new Set() : new Set((rows ?? []).map((r) => r.id)))}
                    />
                  </th>
                  {sortHeader("name", "Name")}
                  {sortHeader("state", "State")}
                  {sortHeader("offeringName", "Offering")}
                  {sortHeader("zoneName", "Zone", "hidden md:table-cell")}
                  <th scope="col" className="hidden px-3 py-2.5 text-left font-medium text-slate-600 lg:table-cell">
                    IP address
                  </th>
                  {admin && sortHeader("accountName", "Account")}
                  {rootAdmin && sortHeader("hostName", "Host", "hidden lg:table-cell")}
                  {sortHeader("createdAt", "Created", "hidden md:table-cell")}
                  <th scope="col" className="px-3 py-2.5 text-right font-medium text-slate-600">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {list.isPending
                  ? Array.from({ length: 4 }, (_, i) => (
                      <tr key={i}>
                        {Array.from({ length: colCount }, (_, j) => (
                          <td key={j} className="px-3 py-3">
                            <Skeleton className={j === 0 ? "size-4" : "h-4 w-20"} />
                          </td>
                        ))}
                      </tr>
                    ))
                  : rows?.map((r) => (
                      <InstanceRow
                        key={r.id}
                        row={r}
                        admin={admin}
                        rootAdmin={rootAdmin}
                        selected={selected.has(r.id)}
                        onToggle={() => toggle(r.id)}
                        onAction={(action) => setPending({ target: { id: r.id, name: r.name }, action })}
                      />
                    ))}
              </tbody>
            </table>
            {rows && rows.length === 0 &&
              (filtered ? (
                <EmptyState title="No instances match these filters" hint="Change the search or the filters, or clear them." />
              ) : (
                <EmptyState
                  title="No instances yet"
                  hint="Deploy a virtual machine from a template in a few clicks: choose a zone, a template and a size."
                  action={
                    <Link href="/instances/new" className="mt-1 text-sm font-medium text-brand-700 hover:underline">
                      Deploy your first instance →
                    </Link>
                  }
                />
              ))}
          </div>
        )}
        <div className="flex items-center justify-between border-t border-slate-200 px-4 py-2 text-sm text-slate-600">
          <span>{list.data ? `${list.data.total.toLocaleString()}${list.data.totalCapped ? "+" : ""} instance${list.data.total === 1 ? "" : "s"}` : " "}</span>
          <div className="flex items-center gap-2">
            <button type="button" className="rounded px-2 py-1 hover:bg-slate-100 disabled:opacity-40" disabled={ts.page <= 1} onClick={() => table.setPage(ts.page - 1)}>
              Previous
            </button>
            <span>
              Page {ts.page} of {pages}
            </span>
            <button type="button" className="rounded px-2 py-1 hover:bg-slate-100 disabled:opacity-40" disabled={ts.page >= pages} onClick={() => table.setPage(ts.page + 1)}>
              Next
            </button>
          </div>
        </div>
      </div>

      <InstanceActionDialog target={pending?.target ?? null} action={pending?.action ?? null} onClose={() => setPending(null)} />
      <BulkDialog
        action={bulk}
        rows={visibleSelected}
        onClose={() => setBulk(null)}
        onDone={() => {
          setBulk(null);
          setSelected(new Set());
        }}
      />
    </>
  );
}

function InstanceRow({
  row: r,
  admin,
  rootAdmin,
  selected,
  onToggle,
  onAction,
}: {
  row: Row;
  admin: boolean;
  rootAdmin: boolean;
  selected: boolean;
  onToggle: () => void;
  onAction: (action: VmOperation) => void;
}) {
  const job = r.activeJob;
  const can = (op: VmOperation) => !job && canOperate(op, r.state);
  const quick: VmOperation | null = can("start") ? "start" : can("stop") ? "stop" : can("recover") ? "recover" : null;
  const more = (["reboot", "stop", "destroy", "expunge"] as const).filter((op) => op !== quick);
  return (
    <tr className={cn("group", selected ? "bg-brand-50/50" : "hover:bg-slate-50")} data-testid={`instance-row-${r.name}`}>
      <td className="w-10 px-3 py-2.5">
        <input type="checkbox" aria-label={`Select ${r.name}`} className="size-4 rounded border-slate-300" checked={selected} onChange={onToggle} />
      </td>
      <td className="px-3 py-2.5">
        <Link href={`/instances/${r.id}`} className="font-medium text-brand-700 hover:underline">
          {r.name}
        </Link>
        <div className="text-xs text-slate-500">{r.templateName}</div>
      </td>
      <td className="min-w-36 px-3 py-2.5">
        <InstanceStateBadge state={r.state} />
        {job && (
          <div className="mt-1 max-w-36" title={`${jobVerb(job.type)} ${job.progress}%`}>
            <ProgressBar value={job.progress} label={`${jobVerb(job.type)} ${r.name}`} />
            <span className="text-xs text-slate-500">
              {jobVerb(job.type)} · {job.progress}%
            </span>
          </div>
        )}
      </td>
      <td className="px-3 py-2.5">
        <div className="text-slate-800">{r.offeringName}</div>
        <div className="text-xs text-slate-500">{formatSize(r.cpuCores, r.memoryMib)}</div>
      </td>
      <td className="hidden px-3 py-2.5 text-slate-700 md:table-cell">{r.zoneName}</td>
      <td className="hidden px-3 py-2.5 font-mono text-xs text-slate-500 lg:table-cell">{r.ipAddress ?? "—"}</td>
      {admin && <td className="px-3 py-2.5 text-slate-700">{r.accountName}</td>}
      {rootAdmin && <td className="hidden px-3 py-2.5 text-slate-700 lg:table-cell">{r.hostName ?? <span className="text-slate-400">—</span>}</td>}
      <td className="hidden whitespace-nowrap px-3 py-2.5 text-slate-500 md:table-cell" title={formatDateTime(r.createdAt)}>
        {formatRelative(r.createdAt)}
      </td>
      <td className="whitespace-nowrap px-3 py-2.5 text-right">
        <div className="inline-flex items-center gap-1">
          {quick && (
            <Button size="sm" variant="secondary" aria-label={`${operationLabel[quick]} ${r.name}`} onClick={() => onAction(quick)}>
              {operationLabel[quick]}
            </Button>
          )}
          {r.state === "running" && (
            <Link href={`/instances/${r.id}/console`} title={`Console of ${r.name}`} className="inline-flex h-8 items-center rounded-md px-2.5 text-sm font-medium text-brand-700 hover:bg-slate-100">
              Console
            </Link>
          )}
          <RowMenu
            label={`More actions for ${r.name}`}
            actions={more.map((op) => ({
              label: operationLabel[op],
              danger: op === "destroy" || op === "expunge",
              disabled: can(op) ? null : job ? "Wait for the job in progress" : `Not possible while ${r.state}`,
              onSelect: () => onAction(op),
            }))}
          />
        </div>
      </td>
    </tr>
  );
}

const bulkCopy: Record<BulkAction, { past: string; message: string }> = {
  start: { past: "Starting", message: "The selected stopped instances boot on hosts with room for them." },
  stop: { past: "Stopping", message: "The guests of the selected running instances are asked to shut down cleanly." },
  reboot: { past: "Rebooting", message: "The selected running instances restart. Work not saved inside them is lost." },
  destroy: {
    past: "Destroying",
    message: "The selected instances are stopped and destroyed. They stay recoverable until they are expunged.",
  },
};

/** Confirms a bulk action, runs it, and reports which instances were refused and why. */
function BulkDialog({ action, rows, onClose, onDone }: { action: BulkAction | null; rows: Row[]; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const eligible = action ? rows.filter((r) => !r.activeJob && canOperate(action, r.state)) : [];
  const skipped = rows.length - eligible.length;
  const run = useMutation(
    trpc.instance.bulk.mutationOptions({
      onSuccess: async (results) => {
        const names = new Map(rows.map((r) => [r.id, r.name]));
        const ok = results.filter((r) => r.ok).length;
        const failed = results.filter((r) => !r.ok);
        if (ok > 0 && action) toast(`${bulkCopy[action].past} ${ok} instance${ok === 1 ? "" : "s"}…`);
        for (const f of failed) toast(`${names.get(f.id) ?? f.id}: ${f.error ?? "refused"}`, "error");
        await queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() });
        run.reset();
        onDone();
      },
    }),
  );
  if (!action) return null;
  const n = eligible.length;
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title={`${operationLabel[action]} ${n} instance${n === 1 ? "" : "s"}?`}
      message={
        <div className="space-y-2">
          <p>{bulkCopy[action].message}</p>
          <ul className="max-h-40 list-inside list-disc overflow-y-auto text-slate-600">
            {eligible.map((r) => (
              <li key={r.id}>{r.name}</li>
            ))}
          </ul>
          {skipped > 0 && (
            <p className="text-slate-500">
              {skipped} selected instance{skipped === 1 ? " is" : "s are"} skipped: not in a state that allows this, or busy with another job.
            </p>
          )}
        </div>
      }
      confirmLabel={`${operationLabel[action]} ${n} instance${n === 1 ? "" : "s"}`}
      danger={action === "destroy"}
      loading={run.isPending}
      error={run.error ? errorMessage(run.error) : null}
      onConfirm={() => run.mutate({ ids: eligible.map((r) => r.id), action })}
    />
  );
}
