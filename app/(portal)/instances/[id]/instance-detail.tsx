"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { InstanceActionDialog, operationLabel, whyNot } from "@/components/resource/instance-actions";
import { InstanceMetrics } from "@/components/resource/instance-metrics";
import { InstanceStorage } from "./instance-storage";
import { formatSize, InstanceStateBadge, transitionalStates, type VmOperation } from "@/components/resource/instance-state";
import { type Job, JobProgress, jobNoun } from "@/components/resource/job-progress";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

type Detail = RouterOutputs["instance"]["get"];
type JobRow = Detail["recentJobs"][number];
type EventRow = Detail["events"][number];

const crumbs = [{ label: "Compute" }, { label: "Instances", href: "/instances" }];

export function InstanceDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  const vmQuery = useQuery(
    trpc.instance.get.queryOptions(
      { id },
      {
        refetchInterval: (q) => {
          const d = q.state.data;
          return d && (d.activeJob || transitionalStates.includes(d.state)) ? 1000 : 10_000;
        },
      },
    ),
  );
  const [action, setAction] = useState<VmOperation | null>(null);
  /** The job shown in the progress panel: the one just started here, or the one in flight. */
  const [shownJob, setShownJob] = useState<string | null>(null);
  /** Guards leave() against running twice (the job's end and the NOT_FOUND may both arrive). */
  const leaving = useRef(false);
  const [left, setLeft] = useState(false);

  // A job in flight is shown as soon as the instance reports it.
  const activeJobId = vmQuery.data?.activeJob?.id ?? null;
  const [seenActiveJob, setSeenActiveJob] = useState<string | null>(null);
  if (activeJobId !== seenActiveJob) {
    setSeenActiveJob(activeJobId);
    if (activeJobId) setShownJob(activeJobId);
  }

  // An expunged instance disappears from the API: once it was expunging, NOT_FOUND means done.
  const [lastName, setLastName] = useState<string | null>(null);
  const [wasExpunging, setWasExpunging] = useState(false);
  const vmNow = vmQuery.data;
  if (vmNow && vmNow.name !== lastName) setLastName(vmNow.name);
  if (vmNow && !wasExpunging && (vmNow.state === "expunging" || vmNow.activeJob?.type === "vm.expunge")) setWasExpunging(true);
  const leave = () => {
    if (leaving.current) return;
    leaving.current = true;
    toast(`${lastName ?? "The instance"} was expunged`);
    router.push("/instances");
  };
  const goneAfterExpunge = wasExpunging && vmQuery.error?.data?.code === "NOT_FOUND";
  useEffect(() => {
    if (goneAfterExpunge) leave();
  });

  const onJobDone = (job: Job) => {
    if (job.type === "vm.expunge" && job.status === "succeeded") {
      setLeft(true);
      leave();
      return;
    }
    if (job.status === "succeeded") setTimeout(() => setShownJob((j) => (j === job.id ? null : j)), 6000);
  };

  if (vmQuery.isPending || ((left || goneAfterExpunge) && vmQuery.error)) {
    return (
      <>
        <PageHeader title="Instance" crumbs={crumbs} />
        <Loading label="Loading instance…" />
      </>
    );
  }
  if (vmQuery.error) {
    return (
      <>
        <PageHeader title="Instance" crumbs={crumbs} />
        <Card>
          {vmQuery.error.data?.code === "NOT_FOUND" ? (
            <EmptyState
              title="Instance not found"
              hint="It does not exist, it has been expunged, or it belongs to an account you cannot see."
              action={
                <Link href="/instances" className="text-sm font-medium text-brand-700 hover:underline">
                  Back to instances
                </Link>
              }
            />
          ) : (
            <ErrorState error={vmQuery.error} onRetry={() => void vmQuery.refetch()} />
          )}
        </Card>
      </>
    );
  }

  const vm = vmQuery.data;
  const destroyed = vm.state === "destroyed";
  const actionButton = (op: VmOperation, variant: "secondary" | "danger" = "secondary") => (
    <Button key={op} variant={variant} disabled={!!whyNot(op, vm)} title={whyNot(op, vm) ?? undefined} onClick={() => setAction(op)}>
      {operationLabel[op]}
    </Button>
  );

  return (
    <>
      <PageHeader
        title={vm.name}
        crumbs={[...crumbs, { label: vm.name }]}
        description={`${vm.templateName} · ${vm.offeringName} · ${vm.zoneName}`}
        actions={
          <div role="toolbar" aria-label="Instance actions" className="flex flex-wrap gap-2">
            {destroyed ? (
              <>
                {actionButton("recover")}
                {actionButton("expunge", "danger")}
              </>
            ) : (
              <>
                <div className="inline-flex gap-2">
                  {actionButton("start")}
                  {actionButton("stop")}
                  {actionButton("reboot")}
                </div>
                {vm.state === "running" && (
                  <Link
                    href={`/instances/${vm.id}/console`}
                    className="inline-flex h-9 items-center rounded-md bg-white px-3.5 text-sm font-medium text-slate-800 shadow-xs ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
                  >
                    Console
                  </Link>
                )}
                {actionButton("changeOffering")}
                {actionButton("destroy", "danger")}
                {vm.state === "error" && actionButton("expunge", "danger")}
              </>
            )}
          </div>
        }
      />

      <div className="space-y-6">
        {shownJob && (
          <JobProgress key={shownJob} jobId={shownJob} subject={vm.name} onDone={onJobDone} onDismiss={() => setShownJob(null)} />
        )}
        {destroyed && (
          <div role="note" className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
            <p className="font-medium">This instance is destroyed.</p>
            <p className="mt-0.5">
              It can be recovered{vm.expungeAfter ? ` until ${formatDateTime(vm.expungeAfter)}` : " until it is expunged"}; after that it is
              expunged and gone for good.
            </p>
          </div>
        )}

        <Card title="Summary">
          <dl data-testid="instance-summary" className="grid grid-cols-1 gap-x-6 gap-y-4 p-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
            <Item label="State">
              <InstanceStateBadge state={vm.state} testId="instance-state" />
              <span className="ml-2 text-xs text-slate-600" title={formatDateTime(vm.stateChangedAt)}>
                since {formatRelative(vm.stateChangedAt)}
              </span>
            </Item>
            <Item label="Compute offering">
              <span className="font-medium text-slate-800">{vm.offeringName}</span>
              <span className="block text-xs text-slate-600">
                {formatSize(vm.cpuCores, vm.memoryMib)} · {vm.cpuMhz} MHz
              </span>
            </Item>
            <Item label="Template">
              <span className="text-slate-800">{vm.templateName}</span>
              <span className="block text-xs text-slate-600">{vm.osType}</span>
            </Item>
            <Item label="Zone">{vm.zoneName}</Item>
            <Item label="IP address">
              {vm.ipAddress ? (
                <span className="font-mono text-slate-800">{vm.ipAddress}</span>
              ) : (
                <span className="text-slate-500">Not assigned</span>
              )}
            </Item>
            {caller.accountType === "root_admin" && (
              <Item label="Host">
                {vm.hostName && vm.hostId ? (
                  <Link href={`/infrastructure/hosts/${vm.hostId}`} className="text-brand-700 hover:underline">
                    {vm.hostName}
                  </Link>
                ) : (
                  <span className="text-slate-600">None</span>
                )}
                {!vm.hostName && <span className="block text-xs text-slate-600">Placed when it starts</span>}
              </Item>
            )}
            {admin && <Item label="Account">{vm.accountName}</Item>}
            <Item label="Created">{formatDateTime(vm.createdAt)}</Item>
          </dl>
        </Card>

        {!destroyed && <InstanceMetrics instanceId={vm.id} hideWhenEmpty={vm.state !== "running"} />}

        <InstanceStorage vm={vm} />

        <div className="grid gap-6 xl:grid-cols-2">
          <Card
            title="Events"
            actions={
              <Link href={`/events?resourceId=${vm.id}`} className="text-sm font-medium text-brand-700 hover:underline">
                All events of {vm.name}
              </Link>
            }
          >
            <EventsTable events={vm.events} />
          </Card>
          <Card title="Recent jobs">
            <JobsTable jobs={vm.recentJobs} />
          </Card>
        </div>
      </div>

      <InstanceActionDialog
        target={{ id: vm.id, name: vm.name, computeOfferingId: vm.computeOfferingId, cpuCores: vm.cpuCores, memoryMib: vm.memoryMib }}
        action={action}
        onClose={() => setAction(null)}
        onStarted={(jobId, op) => {
          if (op === "expunge") setWasExpunging(true);
          setShownJob(jobId);
        }}
      />
    </>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-1 text-slate-700">{children}</dd>
    </div>
  );
}

const levelTone: Record<EventRow["level"], Tone> = { info: "blue", warn: "amber", error: "red" };

function EventsTable({ events }: { events: EventRow[] }) {
  if (events.length === 0) return <EmptyState title="No events yet" />;
  return (
    <div className="max-h-96 overflow-y-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Events of this instance">
        <thead className="sticky top-0 bg-slate-50">
          <tr>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Time
            </th>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Event
            </th>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Description
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {events.map((e) => (
            <tr key={e.id}>
              <td className="whitespace-nowrap px-4 py-2 text-slate-600" title={formatDateTime(e.createdAt)}>
                {formatRelative(e.createdAt)}
              </td>
              <td className="whitespace-nowrap px-4 py-2">
                <span className="inline-flex items-center gap-1.5">
                  {e.level !== "info" && <Badge tone={levelTone[e.level]}>{e.level}</Badge>}
                  <code className="text-xs text-slate-700">{e.type}</code>
                </span>
              </td>
              <td className="px-4 py-2 text-slate-800">{e.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const statusTone: Record<JobRow["status"], Tone> = { queued: "gray", running: "blue", succeeded: "green", failed: "red" };

function JobsTable({ jobs }: { jobs: JobRow[] }) {
  if (jobs.length === 0) return <EmptyState title="No jobs yet" />;
  return (
    <div className="max-h-96 overflow-y-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Recent jobs">
        <thead className="sticky top-0 bg-slate-50">
          <tr>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Operation
            </th>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Status
            </th>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Started
            </th>
            <th scope="col" className="px-4 py-2 text-left font-medium text-slate-600">
              Took
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {jobs.map((j) => (
            <tr key={j.id}>
              <td className="px-4 py-2">
                <span className="font-medium text-slate-800">{jobNoun(j.type)}</span>
                {j.error && <span className="block max-w-xs text-xs text-red-700">{j.error}</span>}
              </td>
              <td className="whitespace-nowrap px-4 py-2">
                <Badge tone={statusTone[j.status]}>
                  {j.status}
                  {j.status === "running" ? ` ${j.progress}%` : ""}
                </Badge>
              </td>
              <td className="whitespace-nowrap px-4 py-2 text-slate-600" title={formatDateTime(j.startedAt ?? j.createdAt)}>
                {formatRelative(j.startedAt ?? j.createdAt)}
              </td>
              <td className="whitespace-nowrap px-4 py-2 tabular-nums text-slate-600">
                {duration(j.startedAt ?? j.createdAt, j.finishedAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function duration(from: Date | null, to: Date | null): string {
  if (!from || !to) return "—";
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
