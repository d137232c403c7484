"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { AccountLink, HostLink, When } from "@/components/resource/cells";
import { DetailState } from "@/components/resource/detail-state";
import { formatDateTime, humanizeTimes } from "@/components/resource/format";
import { InstanceActionDialog, operationLabel, whyNot } from "@/components/resource/instance-actions";
import { InstanceMetrics } from "@/components/resource/instance-metrics";
import { InstanceIso } from "./instance-iso";
import { InstanceStorage } from "./instance-storage";
import { VmSnapshotsCard } from "./instance-vm-snapshots";
import { InstanceNetworks } from "./instance-networks";
import { formatSize, InstanceStateBadge, transitionalStates, type VmOperation } from "@/components/resource/instance-state";
import { type Job, JobProgress, jobNoun } from "@/components/resource/job-progress";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

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
          return liveInterval(!!d && (!!d.activeJob || transitionalStates.includes(d.state)));
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

  // Just expunged: "Loading" until the page has moved on, not "not found".
  if (!vmQuery.data || left || goneAfterExpunge) {
    return (
      <DetailState
        query={left || goneAfterExpunge ? { ...vmQuery, isPending: true } : vmQuery}
        noun="Instance"
        crumbs={crumbs}
        notFoundHint="It does not exist, it has been expunged, or it belongs to an account you cannot see."
        back={{ href: "/instances", label: "Back to instances" }}
      />
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
          <Facts testId="instance-summary">
            <Fact label="State">
              <InstanceStateBadge state={vm.state} testId="instance-state" />
              <span className="ml-2 text-xs text-slate-600">
                since <When at={vm.stateChangedAt} />
              </span>
            </Fact>
            <Fact label="Compute offering">
              <span className="font-medium text-slate-800">{vm.offeringName}</span>
              <span className="block text-xs text-slate-600">
                {formatSize(vm.cpuCores, vm.memoryMib)} · {vm.cpuMhz} MHz
              </span>
            </Fact>
            <Fact label="Template">
              <span className="text-slate-800">{vm.templateName}</span>
              <span className="block text-xs text-slate-600">{vm.osType}</span>
            </Fact>
            {!destroyed && <InstanceIso vm={vm} busy={!!vm.activeJob} />}
            <Fact label="Zone">{vm.zoneName}</Fact>
            <Fact label="IP address">
              {vm.ipAddress ? (
                <span className="font-mono text-slate-800">{vm.ipAddress}</span>
              ) : (
                <span className="text-slate-500">None (no NIC on a network)</span>
              )}
            </Fact>
            {caller.accountType === "root_admin" && (
              <Fact label="Host">
                <HostLink id={vm.hostId} name={vm.hostName} />
                {!vm.hostName && <span className="block text-xs text-slate-600">Placed when it starts</span>}
              </Fact>
            )}
            {admin && (
              <Fact label="Account">
                <AccountLink id={vm.accountId} name={vm.accountName} />
              </Fact>
            )}
            <Fact label="Created">{formatDateTime(vm.createdAt)}</Fact>
          </Facts>
        </Card>

        {!destroyed && <InstanceMetrics instanceId={vm.id} hideWhenEmpty={vm.state !== "running"} />}

        <InstanceStorage vm={vm} />

        {!destroyed && <VmSnapshotsCard vm={vm} busy={!!vm.activeJob} />}
        {!destroyed && <InstanceNetworks vm={vm} />}

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

const levelTone: Record<EventRow["level"], Tone> = { info: "blue", warn: "amber", error: "red" };

function EventsTable({ events }: { events: EventRow[] }) {
  return (
    <StaticTable
      label="Events of this instance"
      rows={events}
      rowKey={(e) => e.id}
      maxHeight
      emptyTitle="No events yet"
      columns={[
        { key: "time", header: "Time", className: "whitespace-nowrap text-slate-600", cell: (e) => <When at={e.createdAt} /> },
        {
          key: "type",
          header: "Event",
          className: "whitespace-nowrap",
          cell: (e) => (
            <span className="inline-flex items-center gap-1.5">
              {e.level !== "info" && <Badge tone={levelTone[e.level]}>{e.level}</Badge>}
              <code className="text-xs text-slate-700">{e.type}</code>
            </span>
          ),
        },
        { key: "description", header: "Description", cell: (e) => humanizeTimes(e.description) },
      ]}
    />
  );
}

const statusTone: Record<JobRow["status"], Tone> = { queued: "gray", running: "blue", succeeded: "green", failed: "red" };

function JobsTable({ jobs }: { jobs: JobRow[] }) {
  return (
    <StaticTable
      label="Recent jobs"
      rows={jobs}
      rowKey={(j) => j.id}
      maxHeight
      emptyTitle="No jobs yet"
      columns={[
        {
          key: "type",
          header: "Operation",
          cell: (j) => (
            <>
              <span className="font-medium text-slate-800">{jobNoun(j.type)}</span>
              {j.error && <span className="block max-w-xs text-xs text-red-700">{humanizeTimes(j.error)}</span>}
            </>
          ),
        },
        {
          key: "status",
          header: "Status",
          className: "whitespace-nowrap",
          cell: (j) => (
            <Badge tone={statusTone[j.status]}>
              {j.status}
              {j.status === "running" ? ` ${j.progress}%` : ""}
            </Badge>
          ),
        },
        {
          key: "started",
          header: "Started",
          className: "whitespace-nowrap text-slate-600",
          cell: (j) => <When at={j.startedAt ?? j.createdAt} />,
        },
        {
          key: "took",
          header: "Took",
          className: "whitespace-nowrap tabular-nums text-slate-600",
          cell: (j) => duration(j.startedAt ?? j.createdAt, j.finishedAt),
        },
      ]}
    />
  );
}

function duration(from: Date | null, to: Date | null): string {
  if (!from || !to) return "—";
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
