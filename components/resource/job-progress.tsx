"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { RouterOutputs } from "@/components/resource/router-types";
import { cn } from "@/components/ui/cn";
import { Spinner } from "@/components/ui/states";
import { liveInterval } from "@/lib/live";
import { useTRPC } from "@/lib/trpc/client";

export type Job = RouterOutputs["job"]["get"];
export type JobStatus = Job["status"];

export const isJobActive = (status: JobStatus | undefined) => status === "queued" || status === "running";

const jobVerbs: Record<string, string> = {
  "vm.deploy": "Deploying",
  "vm.start": "Starting",
  "vm.stop": "Stopping",
  "vm.reboot": "Rebooting",
  "vm.destroy": "Destroying",
  "vm.recover": "Recovering",
  "vm.expunge": "Expunging",
  "vm.changeOffering": "Changing offering",
  "account.cleanup": "Deleting",
  "volume.create": "Creating",
  "volume.attach": "Attaching",
  "volume.detach": "Detaching",
  "volume.resize": "Resizing",
  "volume.destroy": "Destroying",
  "volume.recover": "Recovering",
  "volume.expunge": "Expunging",
  "volume.migrate": "Migrating",
  "vmsnapshot.take": "Taking a VM snapshot",
  "vmsnapshot.revert": "Reverting to a VM snapshot",
  "vmsnapshot.delete": "Deleting a VM snapshot",
  "template.copy": "Copying",
  "volume.create-from-snapshot": "Creating",
  "template.create-from": "Writing the template of",
  "network.restart": "Restarting",
  "network.delete": "Deleting",
};
const jobNouns: Record<string, string> = {
  "vm.deploy": "Deploy",
  "vm.start": "Start",
  "vm.stop": "Stop",
  "vm.reboot": "Reboot",
  "vm.destroy": "Destroy",
  "vm.recover": "Recover",
  "vm.expunge": "Expunge",
  "vm.changeOffering": "Change offering",
  "account.cleanup": "Deletion",
  "volume.create": "Create",
  "volume.attach": "Attach",
  "volume.detach": "Detach",
  "volume.resize": "Resize",
  "volume.destroy": "Destroy",
  "volume.recover": "Recover",
  "volume.expunge": "Expunge",
  "volume.migrate": "Migrate",
  "snapshot.take": "Snapshot",
  "snapshot.revert": "Revert",
  "snapshot.delete": "Delete snapshot",
  "vmsnapshot.take": "VM snapshot",
  "vmsnapshot.revert": "Revert to VM snapshot",
  "vmsnapshot.delete": "Delete VM snapshot",
  "template.copy": "Copy to zone",
  "volume.create-from-snapshot": "Create from snapshot",
  "template.create-from": "Template",
  "network.restart": "Restart",
  "network.delete": "Delete",
  "vm.addNic": "Add NIC",
  "vm.removeNic": "Remove NIC",
  "vm.updateNicIp": "Change address",
};

/** "Stopping", "Deploying"… for a job type; unknown types read as the type itself. */
export const jobVerb = (type: string) => jobVerbs[type] ?? type;
/** "Stop", "Deploy"… for a job type (job history). */
export const jobNoun = (type: string) => jobNouns[type] ?? type;

/**
 * Follows one job while it is queued or running: the live stream re-reads job.get at each claim,
 * progress and end; polling is only the fallback (liveInterval), quick while the stream is down.
 * When it finishes, instance, volume and limit queries are invalidated (states and the account's
 * use changed) and `onDone` is called once with the final job.
 */
export function useJob(jobId: string | null | undefined, onDone?: (job: Job) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({
    ...trpc.job.get.queryOptions({ id: jobId ?? "" }),
    enabled: !!jobId,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data && !isJobActive(q.state.data.status) ? false : liveInterval(true)),
  });
  const job = query.data;
  // The latest onDone, kept in step after each render (effects see it; rendering does not read it).
  const onDoneRef = useRef(onDone);
  useEffect(() => {
    onDoneRef.current = onDone;
  });
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (!job || isJobActive(job.status) || reported.current === job.id) return;
    reported.current = job.id;
    void Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.volume.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.vmSnapshot.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.network.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.nic.pathKey() }),
    ]).then(() => onDoneRef.current?.(job));
  }, [job, queryClient, trpc]);
  return query;
}

/** A thin progress bar with an accessible value. */
export function ProgressBar({
  value,
  label,
  tone = "brand",
  className,
}: {
  value: number;
  label: string;
  tone?: "brand" | "red" | "green";
  className?: string;
}) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      className={cn("h-1.5 w-full overflow-hidden rounded-full bg-slate-100", className)}
    >
      <div
        className={cn(
          "h-full rounded-full transition-[width] duration-500 ease-out",
          tone === "red" ? "bg-red-500" : tone === "green" ? "bg-emerald-500" : "bg-brand-500",
        )}
        style={{ width: `${Math.max(pct, 4)}%` }}
      />
    </div>
  );
}

/**
 * A job in flight, then its outcome: a progress bar with the job's message while it runs; a success
 * line or the error (with a dismiss button) when it is done. `subject` names what it works on.
 */
export function JobProgress({
  jobId,
  subject,
  onDone,
  onDismiss,
  className,
}: {
  jobId: string;
  subject: string;
  onDone?: (job: Job) => void;
  onDismiss?: () => void;
  className?: string;
}) {
  const query = useJob(jobId, onDone);
  const job = query.data;
  if (query.error) {
    return (
      <div role="alert" className={cn("rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800", className)}>
        Could not follow the job: {query.error.message}
      </div>
    );
  }
  if (!job || isJobActive(job.status)) {
    const verb = job ? jobVerb(job.type) : "Working on";
    const progress = job?.progress ?? 0;
    // A job that waits on others (an account's cleanup) is queued between looks: keep its message.
    const message = job?.progressMessage ?? (job?.status === "queued" ? "Waiting for a worker…" : "Starting…");
    return (
      <div className={cn("rounded-md border border-brand-100 bg-brand-50/60 p-3", className)} data-testid="job-progress" aria-live="polite">
        <div className="flex items-center gap-2 text-sm font-medium text-slate-800">
          <Spinner className="size-4 text-brand-600" />
          <span>
            {verb} {subject}
          </span>
          <span className="ml-auto tabular-nums text-slate-600">{progress}%</span>
        </div>
        <ProgressBar value={progress} label={`${verb} ${subject}`} className="mt-2" />
        <p className="mt-1.5 text-xs text-slate-600">{message}</p>
      </div>
    );
  }
  const ok = job.status === "succeeded";
  return (
    <div
      role={ok ? "status" : "alert"}
      data-testid="job-result"
      className={cn(
        "flex items-start gap-2 rounded-md border p-3 text-sm",
        ok ? "border-emerald-200 bg-emerald-50 text-emerald-800" : "border-red-200 bg-red-50 text-red-800",
        className,
      )}
    >
      <span aria-hidden="true" className="font-semibold">
        {ok ? "✓" : "!"}
      </span>
      <div className="flex-1">
        <p className="font-medium">
          {jobNoun(job.type)} of {subject} {ok ? "finished" : "failed"}
        </p>
        {!ok && job.error && <p className="mt-0.5">{job.error}</p>}
      </div>
      {onDismiss && (
        <button type="button" aria-label="Dismiss" onClick={onDismiss} className="opacity-60 hover:opacity-100">
          ×
        </button>
      )}
    </div>
  );
}
