"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { AccountLink, HostLink, None, When } from "@/components/resource/cells";
import { FilterSelect, idOrEmpty, unset, useFilters } from "@/components/resource/filters";
import { formatRelative } from "@/components/resource/format";
import { type ActionTarget, InstanceActionDialog, instanceMenu, operationLabel } from "@/components/resource/instance-actions";
import {
  canOperate,
  formatSize,
  InstanceStateBadge,
  stateLabel,
  transitionalStates,
  type VmOperation,
  vmStates,
} from "@/components/resource/instance-state";
import { jobVerb, ProgressBar } from "@/components/resource/job-progress";
import { useAccountOptions, useDomainOptions } from "@/components/resource/options";
import { errorMessage, type RouterOutputs } from "@/components/resource/router-types";
import { toast, toastJob } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useSelection, useTableState } from "@/components/ui/data-table";
import { ConfirmDialog } from "@/components/ui/dialog";
import { PageHeader } from "@/components/ui/page-header";
import { Spinner } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

type Row = RouterOutputs["instance"]["list"]["items"][number];
type BulkAction = "start" | "stop" | "reboot" | "destroy";
const bulkActions: BulkAction[] = ["start", "stop", "reboot", "destroy"];
type VmStateFilter = (typeof vmStates)[number];
const stateOptions = vmStates.filter((s) => s !== "expunged").map((s) => ({ value: s, label: stateLabel(s) }));

/** Poll fast while something moves, slowly otherwise (the reconciler may change states too). */
const busy = (rows: Row[] | undefined) => !!rows?.some((r) => r.activeJob || transitionalStates.includes(r.state));

export function InstancesList({ accountId, state }: { accountId?: string; state?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  // Hosts are infrastructure: only the root admin sees them (as in CloudStack).
  const rootAdmin = caller.accountType === "root_admin";
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const selection = useSelection();
  const filters = useFilters(
    { state: vmStates.find((s) => s === state) ?? unset<VmStateFilter>(), zoneId: "", domainId: "", accountId: idOrEmpty(accountId) },
    () => {
      table.setPage(1);
      selection.clear();
    },
  );
  const list = useQuery(
    trpc.instance.list.queryOptions(
      { ...table.query, ...filters.query },
      { placeholderData: keepPreviousData, refetchInterval: (q) => liveInterval(busy(q.state.data?.items)) },
    ),
  );
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const domains = useDomainOptions(admin);
  const accounts = useAccountOptions(filters.values.domainId, admin);
  const [pending, setPending] = useState<{ target: ActionTarget; action: VmOperation } | null>(null);
  const [bulk, setBulk] = useState<{ action: BulkAction; rows: Row[] } | null>(null);

  const columns: Column<Row>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (r) => (
        <div className="min-w-0">
          <Link href={`/instances/${r.id}`} className="font-medium whitespace-nowrap text-brand-700 hover:underline">
            {r.name}
          </Link>
          <div className="truncate text-xs text-slate-600">{r.templateName}</div>
        </div>
      ),
    },
    {
      key: "state",
      header: "State",
      sortable: true,
      cell: (r) => (
        <div className="min-w-28">
          <InstanceStateBadge state={r.state} />
          {r.activeJob && (
            <div className="mt-1 max-w-36" title={`${jobVerb(r.activeJob.type)} ${r.activeJob.progress}%`}>
              <ProgressBar value={r.activeJob.progress} label={`${jobVerb(r.activeJob.type)} ${r.name}`} />
              <span className="text-xs text-slate-600">
                {jobVerb(r.activeJob.type)} · {r.activeJob.progress}%
              </span>
            </div>
          )}
        </div>
      ),
    },
    {
      key: "offeringName",
      header: "Offering",
      sortable: true,
      hideBelow: "sm",
      cell: (r) => (
        <>
          <div className="whitespace-nowrap text-slate-800">{r.offeringName}</div>
          <div className="text-xs whitespace-nowrap text-slate-600">{formatSize(r.cpuCores, r.memoryMib)}</div>
        </>
      ),
    },
    { key: "zoneName", header: "Zone", sortable: true, hideBelow: "xl", cell: (r) => r.zoneName },
    {
      key: "ipAddress",
      header: "IP address",
      hideBelow: "xl",
      cell: (r) => (r.ipAddress ? <span className="font-mono text-xs">{r.ipAddress}</span> : <None />),
    },
    ...(admin
      ? [
          {
            key: "accountName",
            header: "Account",
            sortable: true,
            hideBelow: "md",
            cell: (r) => <AccountLink id={r.accountId} name={r.accountName} />,
          } satisfies Column<Row>,
        ]
      : []),
    ...(rootAdmin
      ? [
          {
            key: "hostName",
            header: "Host",
            sortable: true,
            hideBelow: "lg",
            cell: (r) => <HostLink id={r.hostId} name={r.hostName} />,
          } satisfies Column<Row>,
        ]
      : []),
    {
      key: "createdAt",
      header: "Created",
      sortable: true,
      hideBelow: "lg",
      className: "whitespace-nowrap",
      cell: (r) => <When at={r.createdAt} />,
    },
  ];

  return (
    <>
      <PageHeader
        title="Instances"
        crumbs={[{ label: "Compute" }, { label: "Instances" }]}
        description={admin ? "Virtual machines in your scope, across the accounts you manage." : "Your account's virtual machines."}
        actions={
          <Link
            href="/instances/new"
            className="inline-flex h-9 items-center rounded-md bg-brand-600 px-3.5 text-sm font-medium text-white shadow-xs hover:bg-brand-700"
          >
            Deploy instance
          </Link>
        }
      />
      <DataTable
        label="instances"
        columns={columns}
        query={list}
        table={table}
        rowKey={(r) => r.id}
        rowName={(r) => r.name}
        rowTestId={(r) => `instance-row-${r.name}`}
        selection={selection}
        searchPlaceholder="Search name or IP…"
        emptyTitle={filters.active ? "No instances match these filters" : "No instances yet"}
        emptyHint={
          filters.active
            ? "Change the search or the filters, or clear them."
            : "Deploy a virtual machine from a template in a few clicks: choose a zone, a template and a size."
        }
        filters={
          <>
            <FilterSelect
              label="State"
              allLabel="All states"
              value={filters.values.state}
              onChange={(v) => filters.set("state", v as VmStateFilter)}
              options={stateOptions}
            />
            <FilterSelect
              label="Zone"
              allLabel="All zones"
              value={filters.values.zoneId}
              onChange={(v) => filters.set("zoneId", v)}
              options={(choices.data?.zones ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            {admin && (
              <>
                <FilterSelect
                  label="Domain"
                  allLabel="All domains"
                  value={filters.values.domainId}
                  onChange={(v) => filters.set("domainId", v, { accountId: "" })}
                  options={domains.data ?? []}
                />
                <FilterSelect
                  label="Account"
                  allLabel="All accounts"
                  value={filters.values.accountId}
                  onChange={(v) => filters.set("accountId", v)}
                  options={accounts.data ?? []}
                />
              </>
            )}
          </>
        }
        toolbar={
          <span className="flex items-center gap-1.5 text-xs text-slate-600" aria-live="polite">
            {list.isFetching && !list.isPending && <Spinner className="size-3.5" />}
            {busy(list.data?.items)
              ? "Live: jobs in progress"
              : list.dataUpdatedAt
                ? `Updated ${formatRelative(new Date(list.dataUpdatedAt))}`
                : ""}
          </span>
        }
        bulkActions={(rows) =>
          bulkActions.map((a) => {
            const eligible = rows.filter((r) => !r.activeJob && canOperate(a, r.state)).length;
            return (
              <Button
                key={a}
                size="sm"
                variant={a === "destroy" ? "danger" : "secondary"}
                disabled={eligible === 0}
                title={eligible === 0 ? `None of the selected instances can be ${a === "stop" ? "stopped" : a + "ed"} now` : undefined}
                onClick={() => setBulk({ action: a, rows })}
              >
                {operationLabel[a]} selected{eligible !== rows.length && eligible > 0 ? ` (${eligible})` : ""}
              </Button>
            );
          })
        }
        rowActions={(r) =>
          instanceMenu(
            r,
            (action) =>
              setPending({
                target: { id: r.id, name: r.name, computeOfferingId: r.computeOfferingId, cpuCores: r.cpuCores, memoryMib: r.memoryMib },
                action,
              }),
            () => router.push(`/instances/${r.id}/console`),
          )
        }
      />
      <InstanceActionDialog target={pending?.target ?? null} action={pending?.action ?? null} onClose={() => setPending(null)} />
      <BulkDialog
        action={bulk?.action ?? null}
        rows={bulk?.rows ?? []}
        onClose={() => setBulk(null)}
        onDone={() => {
          setBulk(null);
          selection.clear();
        }}
      />
    </>
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
function BulkDialog({
  action,
  rows,
  onClose,
  onDone,
}: {
  action: BulkAction | null;
  rows: Row[];
  onClose: () => void;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const eligible = action ? rows.filter((r) => !r.activeJob && canOperate(action, r.state)) : [];
  const skipped = rows.length - eligible.length;
  const run = useMutation(
    trpc.instance.bulk.mutationOptions({
      onSuccess: async (results) => {
        const names = new Map(rows.map((r) => [r.id, r.name]));
        const failed = results.filter((r) => !r.ok);
        // Each started job gets a toast that follows it to its end (a handful at most; more are followed in the rows).
        const started = results.filter((r) => r.ok && r.jobId);
        if (started.length <= 3) for (const r of started) toastJob(r.jobId!, names.get(r.id) ?? r.id);
        else if (action) toast(`${bulkCopy[action].past} ${started.length} instances: the list shows their progress`);
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
            <p className="text-slate-600">
              {skipped} selected instance{skipped === 1 ? " is" : "s are"} skipped: not in a state that allows this, or busy with another
              job.
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
