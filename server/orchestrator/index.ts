import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { DbHandle } from "@/db";
import { registerDriver } from "./drivers/registry";
import { SimulatorDriver } from "./drivers/simulator/driver";
import { LibvirtDriver } from "./drivers/libvirt/driver";
import { registerVmHandlers } from "./jobs/handlers/vm";
import { registerAccountHandlers } from "./jobs/handlers/account";
import { JOB_CHANNEL } from "./jobs/queue";
import { startWorkers } from "./jobs/runner";
import { reconcileAll } from "./sync/reconciler";
import { startMetrics } from "./metrics/collector";
import { dueForExpunge, expungeInstance } from "@/server/services/instances/operations";
import { processSingleton } from "@/lib/process-singleton";
import { env } from "@/server/env";

export interface OrchestratorOptions {
  concurrency?: number;
  reconcileIntervalMs?: number;
  expungeIntervalMs?: number;
  /** Metrics sampling interval and retention (default 30 s and 7 days; see metrics/collector.ts). */
  metricsIntervalMs?: number;
  metricsRetentionMs?: number;
  /** Set false to run only job workers (tests that drive the reconciler by hand). */
  background?: boolean;
}

const g = processSingleton("orchestrator.drivers", (): { __stratusSimulator?: SimulatorDriver; __stratusLibvirt?: LibvirtDriver } => ({}));

/** The simulator driver of this process (admins change its latency and faults at run time). */
export const simulatorDriver = () => g.__stratusSimulator;

/** Registers drivers and job handlers (idempotent); enough to run jobs in tests. */
export function registerOrchestrator(handle: DbHandle) {
  g.__stratusSimulator ??= new SimulatorDriver(handle.db);
  registerDriver("simulator", g.__stratusSimulator);
  g.__stratusLibvirt ??= new LibvirtDriver();
  registerDriver("kvm", g.__stratusLibvirt);
  registerVmHandlers();
  registerAccountHandlers();
}

/**
 * Starts the orchestrator inside this process: job workers, the reconciler loop and the expunge
 * scheduler. Several processes may run it against one PostgreSQL: jobs are claimed with row locks.
 */
export function startOrchestrator(handle: DbHandle, opts: OrchestratorOptions = {}) {
  registerOrchestrator(handle);
  const owner = `${hostname()}:${process.pid}:${randomBytes(2).toString("hex")}`;
  const workers = startWorkers({
    db: handle.db,
    owner,
    concurrency: opts.concurrency ?? env().STRATUS_JOB_CONCURRENCY,
    listen: (cb) => handle.listen(JOB_CHANNEL, cb),
  });
  const timers: NodeJS.Timeout[] = [];
  let stopMetrics = () => {};
  if (opts.background !== false) {
    // VM and host metrics: one stats call per host per interval, kept for the retention limit.
    stopMetrics = startMetrics(handle.db, { intervalMs: opts.metricsIntervalMs, retentionMs: opts.metricsRetentionMs });
    const reportedUnknown = new Set<string>();
    let reconciling = false;
    timers.push(
      setInterval(() => {
        if (reconciling) return;
        reconciling = true;
        void reconcileAll(handle.db, { reportedUnknown })
          .catch((e: unknown) => console.error("[reconciler] cycle failed", e))
          .finally(() => (reconciling = false));
      }, opts.reconcileIntervalMs ?? env().STRATUS_RECONCILE_INTERVAL_MS),
    );
    timers.push(
      setInterval(() => {
        void dueForExpunge(handle.db)
          .then(async (due) => {
            for (const vm of due) await expungeInstance(handle.db, null, vm.id, vm).catch(() => undefined);
          })
          .catch((e: unknown) => console.error("[expunge] scheduler failed", e));
      }, opts.expungeIntervalMs ?? 60_000),
    );
  }
  console.log(`[orchestrator] started as ${owner}`);
  return {
    owner,
    async stop() {
      timers.forEach(clearInterval);
      stopMetrics();
      await workers.stop();
    },
  };
}
