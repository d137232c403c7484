"use client";
import { useEffect, useSyncExternalStore } from "react";
import { isJobActive, jobNoun, jobVerb, useJob } from "@/components/resource/job-progress";
import { Spinner } from "@/components/ui/states";

/**
 * The portal's one feedback pattern: `toast("Pod p1 created")`, `toast(message, "error")`, or
 * `toastJob(jobId, "web-1")` for a slow operation, which follows the job and ends on its outcome
 * ("Stop of web-1 finished" / "… failed: reason") instead of staying on "Stopping…". One <Toaster />
 * in the app shell shows them in a polite live region. A tiny module store; no provider needed.
 */
type Toast = { id: number; message: string; tone: "success" | "error" } | { id: number; jobId: string; subject: string };

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());
const DISMISS_MS = 5000;

function push(t: Toast) {
  toasts = [...toasts, t];
  emit();
}

export function toast(message: string, tone: "success" | "error" = "success") {
  const id = nextId++;
  push({ id, message, tone });
  setTimeout(() => dismiss(id), tone === "error" ? 2 * DISMISS_MS : DISMISS_MS);
}

/** A toast that follows a job to its final state, then goes away by itself. */
export function toastJob(jobId: string, subject: string) {
  push({ id: nextId++, jobId, subject });
}

function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const empty: Toast[] = [];

export function Toaster() {
  const list = useSyncExternalStore(
    subscribe,
    () => toasts,
    () => empty,
  );
  return (
    <div
      role="status"
      aria-live="polite"
      className="pointer-events-none fixed right-4 bottom-4 left-4 z-50 flex flex-col items-end gap-2 sm:left-auto sm:w-96"
    >
      {list.map((t) =>
        "jobId" in t ? (
          <JobToast key={t.id} id={t.id} jobId={t.jobId} subject={t.subject} />
        ) : (
          <ToastBox key={t.id} tone={t.tone} onDismiss={() => dismiss(t.id)}>
            {t.message}
          </ToastBox>
        ),
      )}
    </div>
  );
}

function JobToast({ id, jobId, subject }: { id: number; jobId: string; subject: string }) {
  const { data: job, error } = useJob(jobId);
  const final = !!job && !isJobActive(job.status);
  useEffect(() => {
    if (!final && !error) return;
    const t = setTimeout(() => dismiss(id), job?.status === "failed" || error ? 2 * DISMISS_MS : DISMISS_MS);
    return () => clearTimeout(t);
  }, [final, error, id, job?.status]);
  if (error)
    return (
      <ToastBox tone="error" onDismiss={() => dismiss(id)}>
        Could not follow the job on {subject}: {error.message}
      </ToastBox>
    );
  if (!job || !final) {
    return (
      <ToastBox tone="pending" onDismiss={() => dismiss(id)}>
        {job ? jobVerb(job.type) : "Working on"} {subject}… {job ? `${job.progress}%` : ""}
      </ToastBox>
    );
  }
  const ok = job.status === "succeeded";
  return (
    <ToastBox tone={ok ? "success" : "error"} onDismiss={() => dismiss(id)}>
      {jobNoun(job.type)} of {subject} {ok ? "finished" : `failed${job.error ? `: ${job.error}` : ""}`}
    </ToastBox>
  );
}

const toneStyle = {
  success: { border: "border-emerald-200", icon: "✓", iconClass: "text-emerald-700" },
  error: { border: "border-red-200", icon: "!", iconClass: "text-red-700" },
  pending: { border: "border-brand-100", icon: null, iconClass: "text-brand-700" },
} as const;

function ToastBox({ tone, children, onDismiss }: { tone: keyof typeof toneStyle; children: React.ReactNode; onDismiss: () => void }) {
  const s = toneStyle[tone];
  return (
    <div
      data-testid="toast"
      data-tone={tone}
      className={`pointer-events-auto flex w-full items-start gap-3 rounded-lg border bg-white px-4 py-3 text-sm shadow-lg ${s.border}`}
    >
      <span aria-hidden="true" className={s.iconClass}>
        {s.icon ?? <Spinner className="size-4" />}
      </span>
      <p className="flex-1 text-slate-800">{children}</p>
      <button type="button" aria-label="Dismiss" className="text-slate-600 hover:text-slate-900" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
