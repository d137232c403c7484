"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { FormDialog, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { useResourceMutation } from "@/components/resource/mutations";
import { toastJob } from "@/components/resource/toast";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading, Spinner } from "@/components/ui/states";
import type { SnapshotState } from "@/lib/snapshot-state";
import { type SnapshotFrequency, type Weekday, weekdayNames } from "@/lib/snapshot-schedule";
import { policyNeeds, snapshotPolicyFields } from "@/lib/validation/snapshot-policies";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createVolumeFromSnapshotInput } from "@/lib/validation/snapshots";
import { createTemplateFromSnapshotInput } from "@/lib/validation/templates";
import { liveInterval } from "@/lib/live";

/** What the cards need of the volume. */
export interface SnapshotVolume {
  id: string;
  name: string;
  state: string;
  instanceName: string | null;
  instanceState: string | null;
  activeJob: unknown;
}

const tones: Record<SnapshotState, Tone> = { creating: "blue", ready: "green", error: "red", destroyed: "gray" };
const changes = ["snapshot", "volume", "limit"] as const;

function formatBytes(b: number | null) {
  if (b === null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Why a snapshot job cannot start on this volume now (the server checks again), or null. */
function whyNotSnapshot(v: SnapshotVolume, revert = false): string | null {
  if (v.activeJob) return "Wait for the job in progress to finish";
  if (v.state !== "ready") return `Not possible while the volume is ${v.state}`;
  if (revert && v.instanceName && v.instanceState !== "stopped") return `Stop ${v.instanceName} first`;
  return null;
}

/** The volume's snapshots: take one now, revert to one (its VM stopped), delete; jobs followed by toasts. */
export function SnapshotsCard({ volume }: { volume: SnapshotVolume }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const confirm = useConfirm();
  const list = useQuery(
    trpc.snapshot.list.queryOptions(
      { volumeId: volume.id },
      { refetchInterval: (q) => liveInterval(!!q.state.data?.some((s) => s.state === "creating") || !!volume.activeJob) },
    ),
  );
  const take = useResourceMutation({
    run: () => client.snapshot.take.mutate({ volumeId: volume.id }),
    invalidate: changes,
    success: (r) => {
      toastJob(r.jobId, `Snapshot of ${volume.name}`);
      return null;
    },
  });
  const started = (r: { jobId: string }, subject: string) => toastJob(r.jobId, subject);
  const noTake = whyNotSnapshot(volume);
  const noRevert = whyNotSnapshot(volume, true);
  const [making, setMaking] = useState<{
    what: "volume" | "template";
    snap: { id: string; name: string; capacityBytes: number | null };
  } | null>(null);
  return (
    <Card
      title="Snapshots"
      actions={
        <Button
          size="sm"
          variant="secondary"
          disabled={!!noTake}
          title={noTake ?? undefined}
          loading={take.isPending}
          onClick={() => take.mutate()}
        >
          Take snapshot
        </Button>
      }
    >
      {list.isPending ? (
        <Loading label="Loading snapshots…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No snapshots yet" hint="Take one now, or add a policy to take them on a schedule." />
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Snapshots of this volume">
          {list.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2" data-testid="snapshot-row">
              <span className="min-w-0 font-medium break-all text-slate-800">{s.name}</span>
              <Badge tone={tones[s.state]} className="gap-1">
                {s.state === "creating" && <Spinner className="size-3" />}
                {s.state}
              </Badge>
              <span className="text-xs text-slate-600">
                {s.full ? "full" : "incremental"} · {formatBytes(s.sizeBytes === null ? null : Number(s.sizeBytes))} ·{" "}
                <span title={formatDateTime(s.createdAt)}>{formatRelative(s.createdAt)}</span>
                {s.policyId ? " · by a policy" : ""}
              </span>
              <span className="ml-auto flex gap-2">
                <Button
                  size="sm"
                  variant="secondary"
                  disabled={s.state !== "ready" || !!noRevert}
                  title={s.state !== "ready" ? "Only a Ready snapshot" : (noRevert ?? undefined)}
                  onClick={() =>
                    confirm.ask({
                      title: `Revert ${volume.name} to ${s.name}?`,
                      message: "Everything written to the volume since this snapshot is lost.",
                      confirmLabel: "Revert",
                      danger: true,
                      run: async () => started(await client.snapshot.revert.mutate({ id: s.id }), volume.name),
                    })
                  }
                >
                  Revert
                </Button>
                {(["volume", "template"] as const).map((what) => (
                  <Button
                    key={what}
                    size="sm"
                    variant="secondary"
                    disabled={s.state !== "ready"}
                    title={s.state !== "ready" ? "Only a Ready snapshot" : undefined}
                    onClick={() =>
                      setMaking({ what, snap: { ...s, capacityBytes: s.capacityBytes === null ? null : Number(s.capacityBytes) } })
                    }
                  >
                    {what === "volume" ? "New volume" : "New template"}
                  </Button>
                ))}
                <Button
                  size="sm"
                  variant="ghost"
                  disabled={s.state === "creating" || !!volume.activeJob}
                  title={
                    s.state === "creating"
                      ? "Wait until it is Ready"
                      : volume.activeJob
                        ? "Wait for the job in progress to finish"
                        : undefined
                  }
                  onClick={() =>
                    confirm.ask({
                      title: `Delete snapshot ${s.name}?`,
                      message: "Later snapshots of the volume keep working.",
                      confirmLabel: "Delete",
                      danger: true,
                      run: async () => started(await client.snapshot.delete.mutate({ id: s.id }), s.name),
                    })
                  }
                >
                  Delete
                </Button>
              </span>
              {s.error && <span className="basis-full text-xs text-red-700">{s.error}</span>}
            </li>
          ))}
        </ul>
      )}
      {making?.what === "volume" && <VolumeFromSnapshotDialog snap={making.snap} onClose={() => setMaking(null)} />}
      {making?.what === "template" && <TemplateFromSnapshotDialog snap={making.snap} onClose={() => setMaking(null)} />}
      {confirm.dialog}
    </Card>
  );
}

type SnapshotRef = { id: string; name: string; capacityBytes: number | null };
const snapshotGib = (s: SnapshotRef) => Math.max(1, Math.ceil((s.capacityBytes ?? 0) / 1024 ** 3));

/** A new data volume holding the snapshot's data (in its zone and account), at least the snapshot's size; a job copies it. */
function VolumeFromSnapshotDialog({ snap, onClose }: { snap: SnapshotRef; onClose: () => void }) {
  const client = useTRPCClient();
  const min = snapshotGib(snap);
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`New volume from snapshot ${snap.name}`}
      schema={createVolumeFromSnapshotInput.omit({ snapshotId: true })}
      defaultValues={{ name: `${snap.name}-volume`, sizeGib: min }}
      submitLabel="Create volume"
      onSubmit={(x) => client.snapshot.createVolume.mutate({ snapshotId: snap.id, ...x })}
      invalidate={["volume", "snapshot", "limit"]}
      success={(r) => {
        toastJob(r.jobId, `Volume from ${snap.name}`);
        return "";
      }}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField form={f} name="name" label="Name" autoFocus />
          <NumberField form={f} name="sizeGib" label="Size (GiB)" min={min} hint={`At least the snapshot's ${min} GiB`} />
        </div>
      )}
    </FormDialog>
  );
}

/** A private template from the snapshot (its chain flattened into one image on the secondary store). */
function TemplateFromSnapshotDialog({ snap, onClose }: { snap: SnapshotRef; onClose: () => void }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`New template from snapshot ${snap.name}`}
      schema={createTemplateFromSnapshotInput.omit({ snapshotId: true })}
      defaultValues={{ name: `${snap.name}-template`, osType: "Other Linux (64-bit)", displayText: "" }}
      submitLabel="Create template"
      onSubmit={(x) => client.snapshot.createTemplate.mutate({ snapshotId: snap.id, ...x, displayText: x.displayText || undefined })}
      invalidate={["template", "limit"]}
      success={(r) => {
        toastJob(r.jobId, `Template from ${snap.name}`);
        return "";
      }}
    >
      {(f) => (
        <div className="grid gap-4">
          <TextField form={f} name="name" label="Name" autoFocus />
          <TextField form={f} name="osType" label="OS type" hint="e.g. Debian GNU/Linux 12 (64-bit)" />
          <TextField form={f} name="displayText" label="Description" />
        </div>
      )}
    </FormDialog>
  );
}

const frequencyLabels: Record<SnapshotFrequency, string> = { hourly: "Hourly", daily: "Daily", weekly: "Weekly", monthly: "Monthly" };
const pad = (n: number | null) => String(n ?? 0).padStart(2, "0");

function describe(p: {
  frequency: SnapshotFrequency;
  minute: number;
  hour: number | null;
  weekday: Weekday | null;
  dayOfMonth: number | null;
  timeZone: string;
}) {
  const at = `${pad(p.hour)}:${pad(p.minute)}`;
  const when =
    p.frequency === "hourly"
      ? `every hour at minute ${p.minute}`
      : p.frequency === "daily"
        ? `every day at ${at}`
        : p.frequency === "weekly"
          ? `every ${weekdayNames[p.weekday ?? 0]} at ${at}`
          : `on day ${p.dayOfMonth} of every month at ${at}`;
  return `${frequencyLabels[p.frequency]}: ${when} (${p.timeZone})`;
}

/** The volume's recurring policies, with their next run times in the user's own time zone. */
export function PoliciesCard({ volume }: { volume: SnapshotVolume }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const confirm = useConfirm();
  const [adding, setAdding] = useState(false);
  const list = useQuery(trpc.snapshot.policies.queryOptions({ volumeId: volume.id }));
  const userZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const remove = useResourceMutation({
    run: (id: string) => client.snapshot.deletePolicy.mutate({ id }),
    invalidate: changes,
    success: () => "Policy deleted",
  });
  return (
    <Card
      title="Snapshot policies"
      actions={
        <Button size="sm" variant="secondary" onClick={() => setAdding(true)}>
          Add policy
        </Button>
      }
    >
      {list.isPending ? (
        <Loading label="Loading policies…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No policies" hint="A policy takes snapshots hourly, daily, weekly or monthly and keeps the newest few." />
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Snapshot policies of this volume">
          {list.data.map((p) => (
            <li key={p.id} className="flex flex-wrap items-start gap-x-3 gap-y-1 px-4 py-2" data-testid="policy-row">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-800">{describe(p)}</p>
                <p className="text-xs text-slate-600">Keeps the newest {p.retention}</p>
                <p className="text-xs text-slate-600" data-testid="policy-next-runs">
                  Next ({userZone}): {p.nextRuns.map((d) => formatDateTime(d)).join(", ")}
                </p>
              </div>
              <Button
                size="sm"
                variant="ghost"
                onClick={() =>
                  confirm.ask({
                    title: "Delete this policy?",
                    message: "Snapshots it already took stay.",
                    confirmLabel: "Delete",
                    danger: true,
                    run: () => remove.mutateAsync(p.id),
                  })
                }
              >
                Delete
              </Button>
            </li>
          ))}
        </ul>
      )}
      {adding && <PolicyDialog volume={volume} zone={userZone} onClose={() => setAdding(false)} />}
      {confirm.dialog}
    </Card>
  );
}

function PolicyDialog({ volume, zone, onClose }: { volume: SnapshotVolume; zone: string; onClose: () => void }) {
  const client = useTRPCClient();
  const [frequency, setFrequency] = useState<SnapshotFrequency>("daily");
  const needs = policyNeeds(frequency);
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Add a snapshot policy to ${volume.name}`}
      schema={snapshotPolicyFields}
      defaultValues={{ frequency: "daily", minute: 0, hour: 2, weekday: 0, dayOfMonth: 1, timeZone: zone, retention: 7 }}
      submitLabel="Add policy"
      onSubmit={(v) =>
        client.snapshot.createPolicy.mutate({
          volumeId: volume.id,
          frequency: v.frequency,
          minute: v.minute,
          retention: v.retention,
          timeZone: v.timeZone,
          ...(needs.hour ? { hour: v.hour } : {}),
          ...(needs.weekday ? { weekday: v.weekday } : {}),
          ...(needs.dayOfMonth ? { dayOfMonth: v.dayOfMonth } : {}),
        })
      }
      invalidate={changes}
      success={() => "Policy added"}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            form={f}
            name="frequency"
            label="Frequency"
            options={Object.entries(frequencyLabels).map(([value, label]) => ({ value, label }))}
            onChange={(x) => setFrequency(x as SnapshotFrequency)}
          />
          {needs.weekday && <NumberField form={f} name="weekday" label="Weekday" min={0} max={6} hint="0 Sunday, 1 Monday … 6 Saturday" />}
          {needs.dayOfMonth && <NumberField form={f} name="dayOfMonth" label="Day of month" min={1} max={28} />}
          {needs.hour && <NumberField form={f} name="hour" label="Hour" min={0} max={23} />}
          <NumberField form={f} name="minute" label="Minute" min={0} max={59} />
          <TextField form={f} name="timeZone" label="Time zone" mono hint="An IANA name, e.g. Europe/Berlin" />
          <NumberField
            form={f}
            name="retention"
            label="Keep the newest"
            min={1}
            max={100}
            hint="Older snapshots of this policy are deleted"
          />
        </div>
      )}
    </FormDialog>
  );
}
