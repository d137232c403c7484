"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { useConfirm } from "@/components/resource/confirm";
import { CheckboxField, FormDialog, TextField } from "@/components/resource/form-dialog";
import { formatBytes, formatDateTime, formatRelative } from "@/components/resource/format";
import { toastJob } from "@/components/resource/toast";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading, Spinner } from "@/components/ui/states";
import { nameSchema, optionalText } from "@/lib/validation/common";
import type { VmSnapshotState, VmSnapshotSupport } from "@/lib/vm-snapshot-state";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

/** What the card needs of the instance. */
export interface SnapshotVm {
  id: string;
  name: string;
  state: string;
}

const tones: Record<VmSnapshotState, Tone> = {
  creating: "blue",
  ready: "green",
  reverting: "amber",
  deleting: "amber",
  error: "red",
  deleted: "gray",
};
const working: readonly VmSnapshotState[] = ["creating", "reverting", "deleting"];

const takeFields = z.object({ name: nameSchema, description: optionalText(255, "Description"), includeMemory: z.boolean() });

/**
 * The instance's VM snapshots (disks, and memory of a running VM): take, revert (says what is lost),
 * delete. Each starts a job on the instance, which the page's progress panel follows; the list
 * polls while one works. Offers only what the VM's hypervisor can do (the list says).
 */
export function VmSnapshotsCard({ vm, busy }: { vm: SnapshotVm; busy: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const confirm = useConfirm();
  const [taking, setTaking] = useState(false);
  const list = useQuery(
    trpc.vmSnapshot.list.queryOptions(
      { instanceId: vm.id },
      { refetchInterval: (q) => liveInterval(!!q.state.data?.snapshots.some((s) => working.includes(s.state)) || busy) },
    ),
  );
  const started = (r: { jobId: string }, subject: string) => {
    toastJob(r.jobId, subject);
    void list.refetch();
  };
  const data = list.data;
  const support = data?.support ?? null;
  const running = vm.state === "running";
  const onHost = running || vm.state === "stopped";
  const whyNotTake = !onHost
    ? `Not possible while the instance is ${vm.state}`
    : busy
      ? "Wait for the job in progress to finish"
      : data && !support
        ? "The instance's hypervisor does not take VM snapshots"
        : data && data.snapshots.length >= data.max
          ? `At most ${data.max} VM snapshots per instance; delete one first`
          : null;
  const byId = new Map(data?.snapshots.map((s) => [s.id, s]) ?? []);
  const depth = (id: string | null, seen = 0): number => (id && seen < 8 ? 1 + depth(byId.get(id)?.parentId ?? null, seen + 1) : 0);
  return (
    <Card
      title="VM snapshots"
      actions={
        <Button
          size="sm"
          variant="secondary"
          disabled={!data || !!whyNotTake}
          title={whyNotTake ?? undefined}
          onClick={() => setTaking(true)}
        >
          Take VM snapshot
        </Button>
      }
    >
      {list.isPending ? (
        <Loading label="Loading VM snapshots…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.snapshots.length === 0 ? (
        <EmptyState
          title="No VM snapshots"
          hint="A VM snapshot keeps the whole instance (its disks, and its memory while it runs) to return to later."
        />
      ) : (
        <>
          <ul className="divide-y divide-slate-100 text-sm" aria-label={`VM snapshots of ${vm.name}`}>
            {list.data.snapshots.map((s) => {
              const memory = s.type === "disk_and_memory";
              const whyNotRevert =
                s.state !== "ready"
                  ? "Only a Ready snapshot"
                  : busy
                    ? "Wait for the job in progress to finish"
                    : memory && !running
                      ? "Start the instance first: a snapshot with memory resumes it running"
                      : !memory && vm.state !== "stopped"
                        ? "Stop the instance first: a disk-only snapshot rewrites the disks of a stopped instance"
                        : null;
              const whyNotDelete =
                s.state !== "ready" && s.state !== "error"
                  ? `Wait until it is no longer ${s.state}`
                  : busy
                    ? "Wait for the job in progress to finish"
                    : !onHost
                      ? `Not possible while the instance is ${vm.state}`
                      : null;
              const when = formatDateTime(s.createdAt);
              return (
                <li
                  key={s.id}
                  className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2"
                  style={{ paddingLeft: `${1 + Math.min(depth(s.parentId), 4) * 0.75}rem` }}
                  data-testid="vm-snapshot-row"
                >
                  <span className="min-w-0 font-medium break-all text-slate-800">{s.name}</span>
                  <Badge tone={tones[s.state]} className="gap-1">
                    {working.includes(s.state) && <Spinner className="size-3" />}
                    {s.state}
                  </Badge>
                  {s.current && (
                    <Badge tone="blue" className="gap-1">
                      current
                    </Badge>
                  )}
                  <span className="text-xs text-slate-600">
                    {memory ? "disks and memory" : "disks only"} · {formatBytes(s.sizeBytes === null ? null : Number(s.sizeBytes))} ·{" "}
                    <span title={when}>{formatRelative(s.createdAt)}</span>
                    {s.parentId && byId.get(s.parentId) ? ` · after ${byId.get(s.parentId)!.name}` : ""}
                  </span>
                  <span className="ml-auto flex gap-2">
                    <Button
                      size="sm"
                      variant="secondary"
                      disabled={!!whyNotRevert}
                      title={whyNotRevert ?? undefined}
                      onClick={() =>
                        confirm.ask({
                          title: `Revert ${vm.name} to ${s.name}?`,
                          message: memory
                            ? `${vm.name} goes back to how it was at ${when}, memory and disks, and keeps running from there. Everything it did and wrote since is lost.`
                            : `The disks of ${vm.name} go back to how they were at ${when}. Everything written since is lost; the instance stays stopped.`,
                          confirmLabel: "Revert",
                          danger: true,
                          run: async () => started(await client.vmSnapshot.revert.mutate({ id: s.id }), vm.name),
                        })
                      }
                    >
                      Revert
                    </Button>
                    <Button
                      size="sm"
                      variant="ghost"
                      disabled={!!whyNotDelete}
                      title={whyNotDelete ?? undefined}
                      onClick={() =>
                        confirm.ask({
                          title: `Delete VM snapshot ${s.name}?`,
                          message: `${vm.name} itself does not change; you can no longer return to ${when}.`,
                          confirmLabel: "Delete",
                          danger: true,
                          run: async () => started(await client.vmSnapshot.delete.mutate({ id: s.id }), s.name),
                        })
                      }
                    >
                      Delete
                    </Button>
                  </span>
                  {s.description && <span className="basis-full text-xs text-slate-600">{s.description}</span>}
                  {s.error && <span className="basis-full text-xs text-red-700">{s.error}</span>}
                </li>
              );
            })}
          </ul>
          <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-600">
            While {vm.name} has VM snapshots, its volumes cannot be snapshotted, reverted, attached, detached, resized or migrated, and its
            ISO and offering cannot change.
          </p>
        </>
      )}
      {taking && support && (
        <TakeDialog vm={vm} support={support} onClose={() => setTaking(false)} onStarted={(r) => started(r, vm.name)} />
      )}
      {confirm.dialog}
    </Card>
  );
}

function TakeDialog({
  vm,
  support,
  onClose,
  onStarted,
}: {
  vm: SnapshotVm;
  support: VmSnapshotSupport;
  onClose: () => void;
  onStarted: (r: { jobId: string }) => void;
}) {
  const client = useTRPCClient();
  const running = vm.state === "running";
  // A choice only where the hypervisor has one: libvirt 9.0 snapshots a running VM's disks only with its memory.
  const memoryChoice = running && support.memory && support.diskOnlyWhileRunning;
  const memoryNote = !running
    ? `${vm.name} is stopped: its disks are snapshotted.`
    : memoryChoice
      ? null
      : `The memory is included: this hypervisor snapshots a running instance's disks only with its memory. Stop the instance for a disk-only snapshot.`;
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Take a VM snapshot of ${vm.name}`}
      schema={takeFields}
      defaultValues={{ name: `${vm.name}-${stamp}`, description: "", includeMemory: running }}
      submitLabel="Take snapshot"
      onSubmit={(v) =>
        client.vmSnapshot.take.mutate({
          instanceId: vm.id,
          name: v.name,
          description: v.description,
          type: running && (v.includeMemory || !memoryChoice) ? "disk_and_memory" : "disk",
        })
      }
      invalidate={["vmSnapshot"]}
      success={(r) => {
        onStarted(r); // the job's toast follows it; no second one
        return "";
      }}
    >
      {(f) => (
        <div className="grid gap-4">
          <TextField form={f} name="name" label="Name" />
          <TextField form={f} name="description" label="Description" hint="Optional: what this snapshot is for" />
          {memoryChoice && (
            <CheckboxField form={f} name="includeMemory" label="Include memory (revert resumes the running instance as it was)" />
          )}
          {memoryNote && <p className="text-sm text-slate-600">{memoryNote}</p>}
        </div>
      )}
    </FormDialog>
  );
}
