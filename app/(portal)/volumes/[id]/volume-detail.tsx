"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { None } from "@/components/resource/cells";
import { formatDateTime, formatGib, formatRelative } from "@/components/resource/format";
import { JobProgress, jobNoun } from "@/components/resource/job-progress";
import { PoliciesCard, SnapshotsCard } from "@/components/resource/volume-snapshots";
import {
  useVolumeActions,
  volumeBusyStates,
  VolumeStateBadge,
  volumeTypeLabel,
  whyNotCopy,
  whyNotVolume,
} from "@/components/resource/volume-actions";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

const crumbs = [{ label: "Storage" }, { label: "Volumes", href: "/volumes" }];

export function VolumeDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const caller = useCaller();
  const query = useQuery(
    trpc.volume.get.queryOptions(
      { id },
      {
        refetchInterval: (q) => {
          const d = q.state.data;
          return liveInterval(!!d && (!!d.activeJob || volumeBusyStates.includes(d.state)));
        },
      },
    ),
  );
  const actions = useVolumeActions({ onExpunged: () => router.push("/volumes") });

  if (query.isPending)
    return (
      <>
        <PageHeader title="Volume" crumbs={crumbs} />
        <Loading label="Loading volume…" />
      </>
    );
  if (query.error)
    return (
      <>
        <PageHeader title="Volume" crumbs={crumbs} />
        <Card>
          {query.error.data?.code === "NOT_FOUND" ? (
            <EmptyState
              title="Volume not found"
              hint="It does not exist, it has been expunged, or it belongs to an account you cannot see."
              action={
                <Link href="/volumes" className="text-sm font-medium text-brand-700 hover:underline">
                  Back to volumes
                </Link>
              }
            />
          ) : (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          )}
        </Card>
      </>
    );

  const v = query.data;
  return (
    <>
      <PageHeader
        title={v.name}
        crumbs={[...crumbs, { label: v.name }]}
        description={`${volumeTypeLabel(v.type)} volume · ${formatGib(v.sizeGib)} · ${v.zoneName}`}
        actions={
          <div role="toolbar" aria-label="Volume actions" className="flex flex-wrap gap-2">
            {actions.operations.map((op) => (
              <Button
                key={op}
                variant={op === "destroy" || op === "expunge" ? "danger" : "secondary"}
                disabled={!!whyNotVolume(op, v)}
                title={whyNotVolume(op, v) ?? undefined}
                onClick={() => actions.run(op, v)}
              >
                {actions.labels[op]}
              </Button>
            ))}
            {/* "Snapshot now" is the Snapshots card's own button on this page. */}
            {actions.copyActions
              .filter((a) => a === "template")
              .map((a) => (
                <Button
                  key={a}
                  variant="secondary"
                  disabled={!!whyNotCopy(a, v)}
                  title={whyNotCopy(a, v) ?? undefined}
                  onClick={() => actions.copy(a, v)}
                >
                  {actions.copyLabels[a]}
                </Button>
              ))}
          </div>
        }
      />
      <div className="space-y-6">
        {v.activeJob && <JobProgress key={v.activeJob.id} jobId={v.activeJob.id} subject={v.name} />}
        {v.state === "destroyed" && (
          <div role="note" className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
            This volume is destroyed. It can be recovered
            {v.expungeAfter ? ` until ${formatDateTime(v.expungeAfter)}` : " until it is expunged"}.
          </div>
        )}
        <Card title="Summary">
          <dl data-testid="volume-summary" className="grid grid-cols-1 gap-x-6 gap-y-4 p-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
            <Item label="State">
              <VolumeStateBadge state={v.state} testId="volume-state" />
            </Item>
            <Item label="Size">
              <span data-testid="volume-size" className="tabular-nums">
                {formatGib(v.sizeGib)}
              </span>
              {v.offeringMaxGib !== null && <span className="block text-xs text-slate-600">Up to {formatGib(v.offeringMaxGib)}</span>}
            </Item>
            <Item label="Attached to">
              {v.instanceId && v.instanceName ? (
                <>
                  <Link href={`/instances/${v.instanceId}`} className="text-brand-700 hover:underline">
                    {v.instanceName}
                  </Link>
                  <span className="ml-1 font-mono text-xs text-slate-600">{v.deviceTarget}</span>
                </>
              ) : (
                <None>Not attached</None>
              )}
            </Item>
            <Item label="Disk offering">{v.offeringName ?? <None>From the template</None>}</Item>
            <Item label="Zone">{v.zoneName}</Item>
            {caller.accountType === "root_admin" && <Item label="Storage pool">{v.poolName ?? <None>None yet (allocated)</None>}</Item>}
            {caller.accountType !== "user" && <Item label="Account">{v.accountName}</Item>}
            <Item label="Created">{formatDateTime(v.createdAt)}</Item>
          </dl>
        </Card>
        {v.state !== "allocated" && (
          <div className="grid gap-6 xl:grid-cols-2">
            <SnapshotsCard volume={v} />
            <PoliciesCard volume={v} />
          </div>
        )}
        <div className="grid gap-6 xl:grid-cols-2">
          <Card title="Events">
            {v.events.length === 0 ? (
              <EmptyState title="No events yet" />
            ) : (
              <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto text-sm" aria-label="Events of this volume">
                {v.events.map((e) => (
                  <li key={e.id} className="px-4 py-2">
                    <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
                      <span title={formatDateTime(e.createdAt)}>{formatRelative(e.createdAt)}</span>
                      <code>{e.type}</code>
                      {e.level !== "info" && <Badge tone={e.level === "error" ? "red" : "amber"}>{e.level}</Badge>}
                    </div>
                    <p className="text-slate-800">{e.description}</p>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Recent jobs">
            {v.recentJobs.length === 0 ? (
              <EmptyState title="No jobs yet" />
            ) : (
              <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto text-sm" aria-label="Recent jobs of this volume">
                {v.recentJobs.map((j) => (
                  <li key={j.id} className="flex flex-wrap items-center gap-2 px-4 py-2">
                    <span className="font-medium text-slate-800">{jobNoun(j.type)}</span>
                    <Badge tone={j.status === "failed" ? "red" : j.status === "succeeded" ? "green" : "blue"}>
                      {j.status}
                      {j.status === "running" ? ` ${j.progress}%` : ""}
                    </Badge>
                    <span className="text-xs text-slate-600" title={formatDateTime(j.createdAt)}>
                      {formatRelative(j.createdAt)}
                    </span>
                    {j.error && <span className="basis-full text-xs text-red-700">{j.error}</span>}
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
      {actions.dialogs}
    </>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{label}</dt>
      <dd className="mt-1 text-slate-700">{children}</dd>
    </div>
  );
}
