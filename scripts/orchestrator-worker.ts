/**
 * A bare orchestrator process for the multi-process tests: job workers (no Next.js, no reconciler)
 * against the PostgreSQL database at DATABASE_URL. Its owner id and lease come from the environment
 * so a test can tell processes apart and recover quickly after killing one with SIGKILL:
 *   DATABASE_URL=postgres://… STRATUS_WORKER_OWNER=a STRATUS_LEASE_MS=1500 npx tsx scripts/orchestrator-worker.ts
 * Prints "ready <owner>" once it claims jobs; SIGTERM stops it after its running jobs.
 */
import { openDb } from "@/db";
import { registerOrchestrator } from "@/server/orchestrator";
import { serviceJobs } from "@/server/services/background";
import { JOB_CHANNEL } from "@/server/orchestrator/jobs/queue";
import { startWorkers } from "@/server/orchestrator/jobs/runner";
import { env } from "@/server/env";
import { runProcess } from "./process-main";

runProcess("worker", () => {
  const e = env();
  const url = e.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required (the worker shares a PostgreSQL database with other processes)");
  const owner = e.STRATUS_WORKER_OWNER ?? `worker:${process.pid}`;
  const { STRATUS_LEASE_MS: leaseMs, STRATUS_JOB_CONCURRENCY: concurrency, STRATUS_POLL_MS: pollMs } = e;
  const handle = openDb({ url, max: concurrency + 4 });
  registerOrchestrator(handle, serviceJobs);
  const workers = startWorkers({
    db: handle.db,
    owner,
    concurrency,
    leaseMs,
    pollMs,
    listen: (cb) => handle.listen(JOB_CHANNEL, cb),
    log: (m, e) => console.log(`[worker ${owner}] ${m}${e ? `: ${e instanceof Error ? e.message : JSON.stringify(e)}` : ""}`),
  });
  return { owner, handle, stop: () => workers.stop() };
});
