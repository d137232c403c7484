import { and, eq, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { jobs } from "@/db/schema";
import { isUniqueViolation, ServiceError } from "@/server/services/errors";
import { rowsOf } from "@/db/rows";
import { processSingleton } from "@/lib/process-singleton";

export type Job = typeof jobs.$inferSelect;
export const JOB_CHANNEL = "stratus_jobs";

export interface EnqueueInput {
  type: string;
  resourceType: string;
  resourceId: string;
  accountId?: string | null;
  domainPath?: string | null;
  userId?: string | null;
  input?: Record<string, unknown>;
  maxAttempts?: number;
}

/** The columns every job row takes from its EnqueueInput. */
const jobRow = (job: EnqueueInput) => ({
  type: job.type,
  resourceType: job.resourceType,
  resourceId: job.resourceId,
  accountId: job.accountId ?? null,
  domainPath: job.domainPath ?? null,
  userId: job.userId ?? null,
  input: job.input ?? {},
});

/**
 * Queues a job inside the caller's transaction, so the job exists if and only if the state change
 * it carries out committed. Wakes workers in every process (NOTIFY is delivered on commit).
 * A resource with a job in flight refuses a second one (partial unique index).
 */
export async function enqueueJob(tx: DbOrTx, job: EnqueueInput): Promise<Job> {
  try {
    const [row] = await tx
      .insert(jobs)
      .values({ ...jobRow(job), maxAttempts: job.maxAttempts ?? 5 })
      .returning();
    await tx.execute(sql`select pg_notify(${JOB_CHANNEL}, ${row!.id})`);
    localWake();
    return row!;
  } catch (e) {
    if (isUniqueViolation(e))
      throw new ServiceError("CONFLICT", "Another operation is already in progress on this resource; wait for it to finish");
    throw e;
  }
}

/** Records a job that completed inside the API call itself (quick DB-only operations), for the audit trail. */
export async function recordCompletedJob(tx: DbOrTx, job: EnqueueInput, result: Record<string, unknown> = {}): Promise<Job> {
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
  const typeFilter = types?.length
    ? sql`and type in (${sql.join(
        types.map((t) => sql`${t}`),
        sql`, `,
      )})`
    : sql``;
  const claim = async (runnable: SQL, order: SQL) => {
    const res = await db.execute(sql`
      update jobs set
        status = 'running',
        locked_by = ${owner},
        lease_until = now() + (${leaseMs} * interval '1 millisecond'),
        attempts = attempts + 1,
        started_at = coalesce(started_at, now())
      where id = (select id from jobs where ${runnable} ${typeFilter} order by ${order} limit 1 for update skip locked)
      returning *`);
    const rows = rowsOf(res);
    return rows[0] ? toJob(rows[0]) : null;
  };
  return (
    (await claim(sql`status = 'queued' and run_after <= now()`, sql`run_after, created_at`)) ??
    (await claim(sql`status = 'running' and lease_until < now()`, sql`lease_until`))
  );
}

/** Maps a raw `returning *` row (snake_case, driver-typed) to the drizzle row shape. */
function toJob(r: Record<string, unknown>): Job {
  // PGlite gives Date objects; postgres.js gives raw timestamps as ISO text here.
  const date = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(v as string));
  return {
    id: String(r.id),
    type: String(r.type),
    status: r.status as Job["status"],
    resourceType: String(r.resource_type),
    resourceId: String(r.resource_id),
    accountId: (r.account_id as string | null) ?? null,
    domainPath: (r.domain_path as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    input: (typeof r.input === "string" ? JSON.parse(r.input) : r.input) as Job["input"],
    result: (typeof r.result === "string" ? JSON.parse(r.result) : (r.result ?? null)) as Job["result"],
    error: (r.error as string | null) ?? null,
    progress: Number(r.progress),
    progressMessage: (r.progress_message as string | null) ?? null,
    steps: parseTextArray(r.steps),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAfter: date(r.run_after)!,
    lockedBy: (r.locked_by as string | null) ?? null,
    leaseUntil: date(r.lease_until),
    createdAt: date(r.created_at)!,
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
  };
}

function parseTextArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string" && v.startsWith("{"))
    return v
      .slice(1, -1)
      .split(",")
      .filter(Boolean)
      .map((x) => x.replace(/^"|"$/g, ""));
  return [];
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
  await db
    .update(jobs)
    .set({ steps: sql`array_append(${jobs.steps}, ${step})`, ...(then ? { progress: then.progress, progressMessage: then.message } : {}) })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)));
}

export async function setProgress(db: DbOrTx, jobId: string, owner: string, progress: number, message?: string) {
  await db
    .update(jobs)
    .set({ progress: Math.max(0, Math.min(100, Math.round(progress))), progressMessage: message ?? null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)));
}

/** Marks the job done; guarded by the owner so a worker that lost its lease cannot finish it twice. */
export async function completeJob(db: DbOrTx, jobId: string, owner: string, result: unknown): Promise<boolean> {
  const rows = await db
    .update(jobs)
    // error: a message from a retried attempt no longer describes a job that succeeded.
    .set({ status: "succeeded", progress: 100, result: result ?? {}, error: null, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export async function failJob(db: DbOrTx, jobId: string, owner: string, error: string): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ status: "failed", error, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** Puts a job back in the queue after a transient failure, with exponential backoff. */
export async function retryJob(db: DbOrTx, jobId: string, owner: string, error: string, attempt: number) {
  const delayMs = Math.min(60_000, 500 * 2 ** Math.max(0, attempt - 1));
  await db
    .update(jobs)
    .set({ status: "queued", error, lockedBy: null, leaseUntil: null, runAfter: sql`now() + (${delayMs} * interval '1 millisecond')` })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner)));
}

/** Puts a waiting job back in the queue for `delayMs`; the claim that ran it does not count as an attempt. */
export async function deferJob(db: DbOrTx, jobId: string, owner: string, delayMs: number) {
  await db
    .update(jobs)
    .set({
      status: "queued",
      attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
      lockedBy: null,
      leaseUntil: null,
      runAfter: sql`now() + (${delayMs} * interval '1 millisecond')`,
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.lockedBy, owner), eq(jobs.status, "running")));
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
