import { and, eq, inArray, lt } from "drizzle-orm";
import type { Db } from "@/db";
import { hostMetrics, hosts, instances, vmMetrics } from "@/db/schema";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { env } from "@/server/env";
import { refreshPoolUsage } from "./pool-usage";
import { recordNicTraffic, sampledVmColumns } from "./nic-traffic";

export interface MetricsOptions {
  /** How often samples are taken (default 30 s; STRATUS_METRICS_INTERVAL_MS). */
  intervalMs?: number;
  /** How long samples are kept (default 7 days; STRATUS_METRICS_RETENTION_HOURS). */
  retentionMs?: number;
  /** Hosts sampled at once. */
  parallel?: number;
  /** Only the hosts this process works (membership.ts); every host when not given. */
  owns?: (hostId: string) => boolean;
}

export const metricsDefaults = () => ({
  intervalMs: env().STRATUS_METRICS_INTERVAL_MS,
  retentionMs: env().STRATUS_METRICS_RETENTION_HOURS * 3_600_000,
});

/**
 * One sample of one host: a single driver call (libvirt: one `virsh domstats` for every VM), then
 * one insert of the VM rows, one of the host row and the NICs' traffic facts (nic-traffic.ts). No
 * transaction is open during the call.
 */
export async function collectHost(db: Db, host: typeof hosts.$inferSelect, at = new Date()) {
  const ref = hostRefOf(host);
  const stats = await driverFor(ref).stats(ref);
  const vms = await db
    .select({ ...sampledVmColumns, number: instances.number, cpuCores: instances.cpuCores })
    .from(instances)
    .where(and(eq(instances.hostId, host.id), inArray(instances.state, ["running", "stopping", "starting", "unknown"])));
  const byName = new Map(vms.map((v) => [vmInternalName(v), v]));
  const rows = stats
    .map((s) => ({ s, vm: byName.get(s.name) }))
    .filter((x): x is { s: (typeof stats)[number]; vm: (typeof vms)[number] } => !!x.vm)
    .map(({ s, vm }) => ({
      instanceId: vm.id,
      hostId: host.id,
      at,
      cpuPercent: s.cpuPercent,
      memoryMib: Math.round(s.memoryMib),
      diskReadBytes: Math.round(s.diskReadBytes),
      diskWriteBytes: Math.round(s.diskWriteBytes),
      netRxBytes: Math.round(s.netRxBytes),
      netTxBytes: Math.round(s.netTxBytes),
    }));
  if (rows.length) await db.insert(vmMetrics).values(rows);
  // Each NIC's bytes since the last sample, as usage facts (billing).
  await recordNicTraffic(
    db,
    stats.flatMap((s) => {
      const vm = byName.get(s.name);
      return vm ? [{ vm, stats: s }] : [];
    }),
    at,
  );
  // Host load: CPU in percent of the host's cores, memory actually used by its VMs.
  const coreSum = stats.reduce((sum, s) => sum + (s.cpuPercent / 100) * (byName.get(s.name)?.cpuCores ?? 1), 0);
  await db.insert(hostMetrics).values({
    hostId: host.id,
    at,
    runningVms: stats.length,
    cpuPercent: Math.round((coreSum / Math.max(1, host.cpuCores)) * 1000) / 10,
    memoryMib: Math.round(stats.reduce((sum, s) => sum + s.memoryMib, 0)),
  });
  return rows.length;
}

/** One collection over every host that is up (that this process owns); a host that fails is skipped (the reconciler reports it). */
export async function collectAll(db: Db, opts: Pick<MetricsOptions, "parallel" | "owns"> = {}) {
  const up = await db.select().from(hosts).where(eq(hosts.status, "up"));
  const all = opts.owns ? up.filter((h) => opts.owns!(h.id)) : up;
  const parallel = opts.parallel ?? 8;
  const at = new Date();
  let samples = 0;
  for (let i = 0; i < all.length; i += parallel) {
    const counts = await Promise.all(
      all.slice(i, i + parallel).map((h) =>
        collectHost(db, h, at).catch((e: unknown) => {
          console.error(`[metrics] host ${h.name}: ${e instanceof Error ? e.message : String(e)}`);
          return 0;
        }),
      ),
    );
    samples += counts.reduce((a, b) => a + b, 0);
  }
  return samples;
}

/** Deletes samples older than the retention limit. */
export async function pruneMetrics(db: Db, retentionMs: number) {
  const before = new Date(Date.now() - retentionMs);
  await db.delete(vmMetrics).where(lt(vmMetrics.at, before));
  await db.delete(hostMetrics).where(lt(hostMetrics.at, before));
}

/** The periodic collector (started by startOrchestrator); returns stop(). */
/** How often the metrics cycle measures the pools' real bytes (storage_pools.actual_bytes). */
export const POOL_USAGE_EVERY_MS = 5 * 60_000;

export function startMetrics(db: Db, opts: MetricsOptions & { leads?: () => boolean } = {}) {
  const d = metricsDefaults();
  const intervalMs = opts.intervalMs ?? d.intervalMs;
  const retentionMs = opts.retentionMs ?? d.retentionMs;
  let busy = false;
  let lastPrune = 0;
  let lastPools = 0;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      await collectAll(db, opts);
      // Cluster-wide chores (pools, pruning): by the leading process only.
      if (opts.leads && !opts.leads()) return;
      // The pools' bytes on disk: a call per volume on libvirt, so less often than the VM samples.
      if (Date.now() - lastPools >= POOL_USAGE_EVERY_MS) {
        lastPools = Date.now();
        await refreshPoolUsage(db);
      }
      if (Date.now() - lastPrune > Math.min(retentionMs, 3_600_000)) {
        lastPrune = Date.now();
        await pruneMetrics(db, retentionMs);
      }
    })()
      .catch((e: unknown) => console.error("[metrics] collection failed", e))
      .finally(() => (busy = false));
  }, intervalMs);
  return () => clearInterval(timer);
}
