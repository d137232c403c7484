import { eq, sql } from "drizzle-orm";
import type { Db, DbHandle } from "@/db";
import {
  clusters,
  computeOfferings,
  hosts,
  instances,
  jobs,
  simulatorFaults,
  simulatorSettings,
  templates,
  usageEvents,
  zones,
} from "@/db/schema";
import { registerOrchestrator, simulatorDriver } from "@/server/orchestrator";
import { serviceJobs } from "@/server/services/background";
import { startWorkers } from "@/server/orchestrator/jobs/runner";
import { JOB_CHANNEL } from "@/server/orchestrator/jobs/queue";

/** Job workers for a test's database (every job type and the simulator registered). */
export function testWorkers(h: DbHandle, owner = "test-worker", concurrency = 4) {
  registerOrchestrator(h, serviceJobs);
  return startWorkers({ db: h.db, owner, concurrency, pollMs: 100, log: () => {}, listen: (cb) => h.listen(JOB_CHANNEL, cb) });
}

/** Waits until the job is finished; returns it. */
export async function waitForJob(db: Db, jobId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [j] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    if (j && (j.status === "succeeded" || j.status === "failed")) return j;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${j?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The seeded simulator zone, a template and an offering by name. */
export async function deployChoicesByName(db: Db, offering = "Small", template = "Tiny Linux") {
  const [zone] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
  const [o] = await db.select().from(computeOfferings).where(eq(computeOfferings.name, offering));
  const [t] = await db.select().from(templates).where(eq(templates.name, template));
  return { zoneId: zone!.id, computeOfferingId: o!.id, templateId: t!.id };
}

/** Sets the simulator's latency for some operations (all processes see it within the driver's cache time). */
export async function setSimLatency(db: Db, latency: Record<string, number>) {
  await db
    .insert(simulatorSettings)
    .values({ id: "default", latencyMs: latency })
    .onConflictDoUpdate({ target: simulatorSettings.id, set: { latencyMs: latency } });
  simulatorDriver()?.invalidate();
}

/** Injects a simulator fault; returns its id. */
export async function injectFault(
  db: Db,
  fault: {
    operation: string;
    hostId?: string | null;
    probability?: number;
    remaining?: number | null;
    transient?: boolean;
    message?: string;
  },
) {
  const [row] = await db
    .insert(simulatorFaults)
    .values({ message: "injected by a test", ...fault })
    .returning({ id: simulatorFaults.id });
  simulatorDriver()?.invalidate();
  return row!.id;
}

export async function clearFaults(db: Db) {
  await db.delete(simulatorFaults).where(sql`true`); // every fault: the whole table is meant
  simulatorDriver()?.invalidate();
}

type Falsy = null | undefined | false;
/** Polls `check` (sync or async) until it returns a truthy value. */
export async function waitFor<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The usage events of a resource, as types in the order they were recorded (their sequence). */
export async function usageSequence(db: Db, resourceId: string) {
  const rows = await db
    .select({ type: usageEvents.type })
    .from(usageEvents)
    .where(eq(usageEvents.resourceId, resourceId))
    .orderBy(usageEvents.seq);
  return rows.map((r) => r.type);
}

/**
 * Capacity invariants of every host: reserved ≤ capacity × factor, and reserved = the sum of the
 * needs of the VMs holding a reservation there. Returns a list of violations (empty when sound).
 */
export async function capacityViolations(db: Db): Promise<string[]> {
  const hostRows = await db
    .select({
      id: hosts.id,
      name: hosts.name,
      cpuUsed: hosts.cpuUsedMhz,
      memUsed: hosts.memoryUsedMib,
      cpuCap: sql<number>`(${hosts.cpuCores}::bigint * ${hosts.cpuMhz} * ${clusters.cpuOvercommit})::float8`.mapWith(Number),
      memCap: sql<number>`(${hosts.memoryMib} * ${clusters.memoryOvercommit})::float8`.mapWith(Number),
    })
    .from(hosts)
    .innerJoin(clusters, eq(clusters.id, hosts.clusterId));
  const vms = await db.select().from(instances).where(eq(instances.capacityReserved, true));
  const out: string[] = [];
  for (const h of hostRows) {
    const mine = vms.filter((v) => v.hostId === h.id);
    const cpu = mine.reduce((s, v) => s + v.cpuCores * v.cpuMhz, 0);
    const mem = mine.reduce((s, v) => s + v.memoryMib, 0);
    if (Number(h.cpuUsed) > h.cpuCap) out.push(`${h.name}: cpu ${h.cpuUsed} > ${h.cpuCap}`);
    if (Number(h.memUsed) > h.memCap) out.push(`${h.name}: memory ${h.memUsed} > ${h.memCap}`);
    if (Number(h.cpuUsed) !== cpu) out.push(`${h.name}: cpu reserved ${h.cpuUsed} but its VMs need ${cpu}`);
    if (Number(h.memUsed) !== mem) out.push(`${h.name}: memory reserved ${h.memUsed} but its VMs need ${mem}`);
  }
  return out;
}
