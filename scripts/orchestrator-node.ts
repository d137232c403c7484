/**
 * A whole orchestrator process without the portal, for the multi-process tests and for running
 * extra management processes: job workers, the reconciler, metrics and membership in the cluster
 * of processes that share the hosts (server/orchestrator/cluster/membership.ts), against the
 * PostgreSQL database at DATABASE_URL.
 *   DATABASE_URL=postgres://… STRATUS_WORKER_OWNER=a STRATUS_LEASE_MS=1500 npx tsx scripts/orchestrator-node.ts
 * Prints "ready <owner>" once started; SIGTERM stops it after its running jobs and leaves the cluster.
 */
import { openDb } from "@/db";
import { startOrchestrator } from "@/server/orchestrator";
import { serviceHooks, serviceJobs } from "@/server/services/background";
import { env } from "@/server/env";
import { runProcess } from "./process-main";

runProcess("node", () => {
  const e = env();
  const url = e.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required (the process shares a PostgreSQL database with others)");
  const owner = e.STRATUS_WORKER_OWNER ?? `node:${process.pid}`;
  const handle = openDb({ url, max: e.STRATUS_JOB_CONCURRENCY + 8 });
  const orchestrator = startOrchestrator(handle, { jobs: serviceJobs, owner, pollMs: e.STRATUS_POLL_MS, ...serviceHooks });
  return { owner, handle, stop: () => orchestrator.stop() };
});
