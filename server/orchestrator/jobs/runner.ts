import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { jobs } from "@/db/schema";
import { isRetryableConflict } from "@/server/core/errors";
import { retryOnDeadlock } from "@/server/core/retry";
import { isJobWaiting, isTransient } from "./errors";
import { logger } from "@/server/log";
import { runWithRequest } from "@/server/telemetry/context";
import { observeJob } from "@/server/telemetry/metrics";
import { workerBusy, workerStarted, workerStopped, workerTick } from "@/server/telemetry/health";
import { jobDefinition, parseJobInput, registeredJobTypes, type JobContext } from "./registry";
import { claimJob, completeJob, deferJob, failJob, type Job, markStepDone, onLocalWake, renewLease, retryJob, setProgress } from "./queue";

export interface WorkerOptions {
  db: Db;
  /** Identifies this process in jobs.locked_by, e.g. "host:pid:abcd". */
  owner: string;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Subscribes to cross-process wake-ups (LISTEN); returns unsubscribe. */
  listen?: (onNotify: () => void) => Promise<() => Promise<void>>;
  log?: (msg: string, err?: unknown) => void;
}

class LostLease extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} is no longer ours`);
  }
}

/** A lease renewed at a third of its length survives two missed heartbeats. */
const DEFAULT_LEASE_MS = 30_000;

/**
 * Job workers: `concurrency` loops that claim and run jobs. They sleep until woken by an enqueue
 * in this process, a NOTIFY from another, or the poll interval (for delayed retries and expired
 * leases). stop() stops claiming and waits for running jobs to finish.
 */
export function startWorkers(opts: WorkerOptions) {
  const { db, owner } = opts;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = opts.pollMs ?? 1000;
  const log = opts.log ?? ((m: string, e?: unknown) => (e ? logger().error({ err: e }, `[jobs] ${m}`) : logger().info(`[jobs] ${m}`)));
  let stopping = false;
  let wakers: (() => void)[] = [];
  const wakeAll = () => {
    const w = wakers;
    wakers = [];
    w.forEach((fn) => fn());
  };
  // One new job (a local enqueue or a NOTIFY, each carrying one job) wakes one sleeping loop: waking
  // all of them made every loop run a claim that found nothing (a herd of empty claims per job).
  // Loops that are busy claim again when their job ends, so no job waits for the poll.
  const wakeOne = () => wakers.shift()?.();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        // Woken by the poll: no longer a sleeper that a wake-up could be spent on.
        const i = wakers.indexOf(done);
        if (i >= 0) wakers.splice(i, 1);
        resolve();
      }
      wakers.push(done);
    });

  const offLocal = onLocalWake(wakeOne);
  let unlisten: (() => Promise<void>) | undefined;
  void opts.listen?.(wakeOne).then(
    (u) => (unlisten = u),
    (e) => log("LISTEN failed; falling back to polling", e),
  );

  async function loop() {
    while (!stopping) {
      workerTick();
      let job: Job | null = null;
      try {
        job = await claimJob(db, owner, leaseMs, registeredJobTypes());
      } catch (e) {
        log("claim failed", e);
      }
      if (!job) {
        await sleep(pollMs);
        continue;
      }
      const claimed = job;
      workerBusy(1);
      // The job's log lines carry the request id of the request that queued it.
      await runWithRequest({ requestId: claimed.requestId ?? `job:${claimed.id}` }, () => runJob(db, claimed, owner, leaseMs, log)).finally(
        () => workerBusy(-1),
      );
    }
  }

  workerStarted();
  const loops = Array.from({ length: opts.concurrency ?? 4 }, () => loop());
  return {
    owner,
    wake: wakeAll,
    async stop() {
      stopping = true;
      workerStopped();
      offLocal();
      wakeAll();
      await Promise.allSettled(loops);
      await unlisten?.().catch(() => {});
    },
  };
}

/** Runs one claimed job to completion, retry or failure. Exported for tests. */
export async function runJob(db: Db, job: Job, owner: string, leaseMs: number, log: (m: string, e?: unknown) => void) {
  const handler = jobDefinition(job.type);
  if (!handler) {
    await failJob(db, job.id, owner, `No handler for job type ${job.type}`);
    return;
  }
  const steps = new Set(job.steps);
  let finished = false;
  const started = performance.now();
  let outcome: "succeeded" | "failed" | "retried" | "deferred" = "succeeded";
  const heartbeat = setInterval(
    () => {
      void renewLease(db, job.id, owner, leaseMs).then(
        (ok) => !ok && log(`lost the lease of job ${job.id}; another worker took it over`),
        (e) => log(`heartbeat of job ${job.id} failed`, e),
      );
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  // Parsed once: `run` and `onFailure` see the same input (null for onFailure when it did not fit).
  const parsed = parseJobInput(handler, job);
  const input = "input" in parsed ? parsed.input : null;
  const ctx: Omit<JobContext, "input"> = {
    job,
    db,
    owner,
    async step(name, fn, then) {
      if (steps.has(name)) return undefined;
      const out = await fn();
      await retryOnDeadlock(() => markStepDone(db, job.id, owner, name, then));
      steps.add(name);
      return out;
    },
    progress: (pct, message) => setProgress(db, job.id, owner, pct, message),
    async finish(fn) {
      // The job row is locked last (the global lock order: instance, host, pool, counters, job).
      await retryOnDeadlock(() =>
        db.transaction(async (tx) => {
          const result = await fn(tx);
          const done = await completeJob(tx, job.id, owner, result ?? {});
          // Lost the lease: roll the final state change back; the new owner finishes the job.
          if (!done) throw new Error(`job ${job.id} is no longer ours`);
        }),
      );
      finished = true;
    },
  };
  try {
    // Claimed again after its workers died mid-run more often than it may be attempted (only a
    // lease expiry makes attempts exceed maxAttempts): a job that kills its process must not be
    // resumed for ever. Fail it; onFailure puts the resource in a truthful state.
    if (job.attempts > job.maxAttempts) {
      throw new Error(`Interrupted ${job.attempts - 1} times (the process running it stopped each time); gave up`);
    }
    // A stored input that does not fit the schema fails the job (onFailure runs) with the reason.
    if ("error" in parsed) throw parsed.error;
    await handler.run({ ...ctx, input: parsed.input });
    if (!finished) await completeJob(db, job.id, owner, {});
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (isJobWaiting(err)) {
      outcome = "deferred";
      await deferJob(db, job.id, owner, err.delayMs).catch((x) => log("defer failed", x));
    } else if ((isTransient(err) || isRetryableConflict(err)) && job.attempts < job.maxAttempts) {
      // A deadlock or serialization victim that outlived the transaction's own retries is retried as
      // a whole job: nothing of the aborted transaction was committed.
      outcome = "retried";
      log(`job ${job.type} ${job.id} attempt ${job.attempts} failed (will retry): ${err.message}`);
      await retryJob(db, job.id, owner, err.message, job.attempts).catch((x) => log("retry failed", x));
    } else {
      outcome = "failed";
      log(`job ${job.type} ${job.id} failed: ${err.message}`);
      await retryOnDeadlock(() =>
        db.transaction(async (tx) => {
          // onFailure locks the resource first, the job row after it (the global lock order); a job
          // that is no longer ours rolls the truthful state back to its new owner.
          await handler.onFailure?.(tx, job, err, input);
          if (!(await failJob(tx, job.id, owner, err.message))) throw new LostLease(job.id);
        }),
      ).catch((x) => !(x instanceof LostLease) && log(`could not record the failure of job ${job.id}`, x));
    }
  } finally {
    clearInterval(heartbeat);
    observeJob(job.type, outcome, (performance.now() - started) / 1000);
  }
}

/** Jobs of this owner left running by a previous life of the same process id are reclaimed via leases. */
export async function jobById(db: Db, id: string) {
  const [j] = await db.select().from(jobs).where(eq(jobs.id, id));
  return j ?? null;
}
