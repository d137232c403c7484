import { and, asc, eq, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { jobs } from "@/db/schema";
import { publishChange } from "@/server/core/changes";
import { isUniqueViolation, ServiceError } from "@/server/core/errors";
import { processSingleton } from "@/lib/process-singleton";
import { currentRequestId } from "@/server/telemetry/context";
import type { JobInput, JobType } from "./registry";

export type Job = typeof jobs.$inferSelect;
export const JOB_CHANNEL = "stratus_jobs";

/** What a job acts on and for whom (a row's columns besides its type and input). */
export interface JobTarget {
  resourceType: string;
  resourceId: string;
  accountId?: string | null;
  domainPath?: string | null;
  userId?: string | null;
}

/** A job to queue: a declared type with its input (optional when the type needs none). */
export type EnqueueInput<T extends JobType> = JobTarget & { type: T; maxAttempts?: number } & (Record<never, never> extends JobInput<T>
    ? { input?: JobInput<T> }
    : { input: JobInput<T> });

/** A job done inside the API call itself, recorded for the audit trail: no handler, any type name. */
export type RecordedJob = JobTarget & { type: string; input?: Record<string, unknown> };

/** The columns every job row takes from what was asked. */
const jobRow = (job: JobTarget & { type: string; input?: unknown }) => ({
  type: job.type,
  resourceType: job.resourceType,
  resourceId: job.resourceId,
  accountId: job.accountId ?? null,
  domainPath: job.domainPath ?? null,
  userId: job.userId ?? null,
  requestId: currentRequestId() ?? null,
  input: job.input ?? {},
});

/** The columns a job's change notification is scoped by. */
const changed = { id: jobs.id, accountId: jobs.accountId, domainPath: jobs.domainPath, resourceType: jobs.resourceType };

/**
 * Tells the live streams (server/live) that these job rows changed: the one place job changes are
 * published (queued, claimed, progress, retried, finished, failed). Returns whether any row changed.
 */
async function publishJobs(db: DbOrTx, rows: { id: string; accountId: string | null; domainPath: string | null; resourceType: string }[]) {
  for (const r of rows) await publishChange(db, { kind: "job", ...r });
  return rows.length > 0;
}

/**
 * Queues a job inside the caller's transaction, so the job exists if and only if the state change
 * it carries out committed. Wakes workers in every process (NOTIFY is delivered on commit).
 * A resource with a job in flight refuses a second one (partial unique index).
 */
export async function enqueueJob<T extends JobType>(tx: DbOrTx, job: EnqueueInput<T>): Promise<Job> {
  try {
    const [row] = await tx
      .insert(jobs)
      .values({ ...jobRow(job), maxAttempts: job.maxAttempts ?? 5 })
      .returning();
    await tx.execute(sql`select pg_notify(${JOB_CHANNEL}, ${row!.id})`);
    await publishJobs(tx, [row!]);
    localWake();
    return row!;
  } catch (e) {
    if (isUniqueViolation(e))
      throw new ServiceError("CONFLICT", "Another operation is already in progress on this resource; wait for it to finish");
    throw e;
  }
}

/** Records a job that completed inside the API call itself (quick DB-only operations), for the audit trail. */
export async function recordCompletedJob(tx: DbOrTx, job: RecordedJob, result: Record<string, unknown> = {}): Promise<Job> {
  const now = new Date();
  const [row] = await tx
    .insert(jobs)
    .values({
      ...jobRow(job),
      status: "succeeded",
      progress: 100,
      result,
      attempts: 1,
      startedAt: now,
      finishedAt: now,
    })
    .returning();
  return row!;
}

/**
 * Claims the next runnable job for `owner`: a queued job whose time has come, or a running job
 * whose lease expired (its worker died). Row lock with SKIP LOCKED, so concurrent claimers in any
 * number of processes never take the same job.
 */
export async function claimJob(db: DbOrTx, owner: string, leaseMs: number, types?: readonly string[]): Promise<Job | null> {
  const claim = async (runnable: SQL | undefined, order: SQL[]) => {
    const next = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(runnable, types?.length ? inArray(jobs.type, [...types]) : undefined))
      .orderBy(...order)
      .limit(1)
      .for("update", { skipLocked: true });
    const [row] = await db
      .update(jobs)
      .set({
        status: "running",
        lockedBy: owner,
        leaseUntil: sql`now() + (${leaseMs} * interval '1 millisecond')`,
        attempts: sql`${jobs.attempts} + 1`,
        startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      })
      // `=` on a one-row sub-select: evaluated once, so exactly the row it locked is claimed.
      .where(sql`${jobs.id} = (${next})`)
      .returning();
    // Queued → running is shown too (the job's progress panel, the lists' busy marks).
    if (row) await publishJobs(db, [row]);
    return row ?? null;
  };
  return (
    (await claim(and(eq(jobs.status, "queued"), lte(jobs.runAfter, sql`now()`)), [asc(jobs.runAfter), asc(jobs.createdAt)])) ??
    (await claim(and(eq(jobs.status, "running"), lt(jobs.leaseUntil, sql`now()`)), [asc(jobs.leaseUntil)]))
  );
}

/** Extends the lease; false when another worker took the job over (our lease had expired). */
export async function renewLease(db: DbOrTx, jobId: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ leaseUntil: sql`now() + (${leaseMs} * interval '1 millisecond')` })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export async function markStepDone(db: DbOrTx, jobId: string, owner: string, step: string, then?: { progress: number; message: string }) {
  const rows = await db
    .update(jobs)
    .set({ steps: sql`array_append(${jobs.steps}, ${step})`, ...(then ? { progress: then.progress, progressMessage: then.message } : {}) })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)))
    .returning(changed);
  if (then) await publishJobs(db, rows);
}

export async function setProgress(db: DbOrTx, jobId: string, owner: string, progress: number, message?: string) {
  const rows = await db
    .update(jobs)
    .set({ progress: Math.max(0, Math.min(100, Math.round(progress))), progressMessage: message ?? null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)))
    .returning(changed);
  await publishJobs(db, rows);
}

/** Marks the job done; guarded by the owner so a worker that lost its lease cannot finish it twice. */
export async function completeJob(db: DbOrTx, jobId: string, owner: string, result: unknown): Promise<boolean> {
  const rows = await db
    .update(jobs)
    // error: a message from a retried attempt no longer describes a job that succeeded.
    .set({ status: "succeeded", progress: 100, result: result ?? {}, error: null, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning(changed);
  return publishJobs(db, rows);
}

export async function failJob(db: DbOrTx, jobId: string, owner: string, error: string): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: "failed", error, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning(changed);
  return publishJobs(db, rows);
}

/** Puts a job back in the queue after a transient failure, with exponential backoff. */
export async function retryJob(db: DbOrTx, jobId: string, owner: string, error: string, attempt: number) {
  const delayMs = Math.min(60_000, 500 * 2 ** Math.max(0, attempt - 1));
  const rows = await db
    .update(jobs)
    .set({ status: "queued", error, lockedBy: null, leaseUntil: null, runAfter: sql`now() + (${delayMs} * interval '1 millisecond')` })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)))
    .returning(changed);
  await publishJobs(db, rows);
}

/** Puts a waiting job back in the queue for `delayMs`; the claim that ran it does not count as an attempt. */
export async function deferJob(db: DbOrTx, jobId: string, owner: string, delayMs: number) {
  const rows = await db
    .update(jobs)
    .set({
      status: "queued",
      attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
      lockedBy: null,
      leaseUntil: null,
      runAfter: sql`now() + (${delayMs} * interval '1 millisecond')`,
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning(changed);
  await publishJobs(db, rows);
}

// In-process wake-up, so a job enqueued by this process starts at once even before NOTIFY arrives.
const wakers = processSingleton("jobs.localWake", () => new Set<() => void>());
export function onLocalWake(fn: () => void): () => void {
  wakers.add(fn);
  return () => wakers.delete(fn);
}
function localWake() {
  // After the current transaction has had a chance to commit.
  setTimeout(() => wakers.forEach((fn) => fn()), 0);
}
