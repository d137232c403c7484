import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Db, DbHandle } from "@/db";
import { registerDriver } from "./drivers/registry";
import { SimulatorDriver } from "./drivers/simulator/driver";
import { LibvirtDriver } from "./drivers/libvirt/driver";
import { vmJobs } from "./jobs/handlers/vm";
import { registerJobs, type JobDefinition } from "./jobs/registry";
import { JOB_CHANNEL } from "./jobs/queue";
import { startWorkers } from "./jobs/runner";
import { reconcileAll } from "./sync/reconciler";
import { startMetrics } from "./metrics/collector";
import { joinCluster } from "./cluster/membership";
import { processSingleton } from "@/lib/process-singleton";
import { env } from "@/server/env";
import { logger } from "@/server/log";
import { observeReconcileCycle } from "@/server/telemetry/metrics";

/** A periodic task the orchestrator runs for others (the services' expunge sweep). */
export interface Schedule {
  name: string;
  everyMs: number;
  run(db: Db): Promise<void>;
}

export interface OrchestratorOptions {
  concurrency?: number;
  reconcileIntervalMs?: number;
  /** Jobs besides the VM jobs this process runs (the services' jobs: server/services/background.ts). */
  jobs?: readonly JobDefinition[];
  /** Periodic tasks besides the reconciler and metrics (the services' sweeps). */
  schedules?: readonly Schedule[];
  /** Metrics sampling interval and retention (default 30 s and 7 days; see metrics/collector.ts). */
  metricsIntervalMs?: number;
  metricsRetentionMs?: number;
  /**
   * Called when the reconciler changed a host's status (a hook, so the orchestrator imports no
   * service): the services evaluate alerts at once (server/services/background.ts serviceHooks).
   */
  onHostStatusChange?: (db: Db) => void;
  /** Set false to run only job workers (tests that drive the reconciler by hand). */
  background?: boolean;
  /** This process's id in jobs.locked_by and orchestrator_nodes (default host:pid:random, or STRATUS_WORKER_OWNER). */
  owner?: string;
  /** Job and membership lease (default STRATUS_LEASE_MS). */
  leaseMs?: number;
  pollMs?: number;
}

const g = processSingleton("orchestrator.drivers", (): { __stratusSimulator?: SimulatorDriver; __stratusLibvirt?: LibvirtDriver } => ({}));

/** The simulator driver of this process (admins change its latency and faults at run time). */
export const simulatorDriver = () => g.__stratusSimulator;

/** Registers drivers, the VM jobs and `jobs` (idempotent); enough to run jobs in tests. */
export function registerOrchestrator(handle: DbHandle, jobs: readonly JobDefinition[] = []) {
  g.__stratusSimulator ??= new SimulatorDriver(handle.db);
  registerDriver("simulator", g.__stratusSimulator);
  g.__stratusLibvirt ??= new LibvirtDriver();
  registerDriver("kvm", g.__stratusLibvirt);
  registerJobs([...vmJobs, ...jobs]);
}

/**
 * Starts the orchestrator inside this process: job workers, the reconciler loop, metrics and the
 * schedules it is given. Several processes may run it against one PostgreSQL: jobs are claimed
 * with row locks and leases, and the hosts are shared out among the live processes
 * (cluster/membership.ts): each reconciles and samples its own share, which moves when a process
 * joins, leaves or dies.
 */
export function startOrchestrator(handle: DbHandle, opts: OrchestratorOptions = {}) {
  registerOrchestrator(handle, opts.jobs);
  const e = env();
  const owner = opts.owner ?? e.STRATUS_WORKER_OWNER ?? `${hostname()}:${process.pid}:${randomBytes(2).toString("hex")}`;
  const leaseMs = opts.leaseMs ?? e.STRATUS_LEASE_MS;
  const workers = startWorkers({
    db: handle.db,
    owner,
    concurrency: opts.concurrency ?? e.STRATUS_JOB_CONCURRENCY,
    leaseMs,
    pollMs: opts.pollMs,
    listen: (cb) => handle.listen(JOB_CHANNEL, cb),
  });
  const timers: NodeJS.Timeout[] = [];
  let stopMetrics = () => {};
  let leaveCluster = async () => {};
  if (opts.background !== false) {
    const cluster = joinCluster(handle.db, owner, leaseMs, (m, err) =>
      err ? console.error(`[cluster] ${m}`, err) : console.log(`[cluster] ${m}`),
    );
    leaveCluster = cluster.stop;
    const { share } = cluster;
    // VM and host metrics: one stats call per host per interval, kept for the retention limit.
    stopMetrics = startMetrics(handle.db, {
      intervalMs: opts.metricsIntervalMs,
      retentionMs: opts.metricsRetentionMs,
      owns: share.owns,
      leads: share.leads,
    });
    const reportedUnknown = new Set<string>();
    const onHostStatusChange = opts.onHostStatusChange && (() => opts.onHostStatusChange!(handle.db));
    let reconciling = false;
    timers.push(
      setInterval(() => {
        if (reconciling) return;
        reconciling = true;
        const t0 = performance.now();
        void cluster.ready
          .then(() => reconcileAll(handle.db, { reportedUnknown, node: owner, owns: share.owns, leads: share.leads(), onHostStatusChange }))
          .then(() => observeReconcileCycle((performance.now() - t0) / 1000))
          .catch((e: unknown) => logger().error({ err: e }, "[reconciler] cycle failed"))
          .finally(() => (reconciling = false));
      }, opts.reconcileIntervalMs ?? env().STRATUS_RECONCILE_INTERVAL_MS),
    );
    for (const s of opts.schedules ?? []) {
      let running = false;
      timers.push(
        setInterval(() => {
          if (running) return;
          running = true;
          void s
            .run(handle.db)
            .catch((e: unknown) => logger().error({ err: e, schedule: s.name }, `[${s.name}] failed`))
            .finally(() => (running = false));
        }, s.everyMs),
      );
    }
  }
  logger().info({ owner }, `[orchestrator] started as ${owner}`);
  return {
    owner,
    async stop() {
      timers.forEach(clearInterval);
      stopMetrics();
      await workers.stop();
      await leaveCluster();
    },
  };
}
