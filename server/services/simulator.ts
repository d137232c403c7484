import { and, asc, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { clusters, hosts, simulatorFaults, simulatorSettings, simulatorVms, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { simulatorDriver } from "@/server/orchestrator";
import type { AddSimulatorFaultInput, SetSimulatorLatencyInput } from "@/lib/validation/simulator";
import { addSimulatorFaultInput, simulatorOperationNames } from "@/lib/validation/simulator";
import { notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { assertInfra } from "./infrastructure/common";

/**
 * Administration of the simulated hypervisors (root admin): per-operation latency and injected
 * faults, both read by the simulator driver in every process (cached for half a second), and the
 * simulator's own truth: how many VMs each simulated host runs.
 */

/** Forget this process's cached settings at once (other processes follow within the cache time). */
const invalidate = () => simulatorDriver()?.invalidate();

export async function getSimulator(db: DbOrTx, caller: Caller) {
  assertInfra(caller, "manage");
  const [settings] = await db.select().from(simulatorSettings).where(eq(simulatorSettings.id, "default"));
  const stored = settings?.latencyMs ?? {};
  const latencyMs = Object.fromEntries(simulatorOperationNames.map((op) => [op, Number(stored[op] ?? 0)])) as Record<
    (typeof simulatorOperationNames)[number],
    number
  >;
  const faults = await db
    .select({
      id: simulatorFaults.id,
      operation: simulatorFaults.operation,
      hostId: simulatorFaults.hostId,
      hostName: hosts.name,
      probability: simulatorFaults.probability,
      remaining: simulatorFaults.remaining,
      transient: simulatorFaults.transient,
      message: simulatorFaults.message,
      createdAt: simulatorFaults.createdAt,
    })
    .from(simulatorFaults)
    .leftJoin(hosts, eq(hosts.id, simulatorFaults.hostId))
    .orderBy(asc(simulatorFaults.createdAt), asc(simulatorFaults.id));
  const hostRows = await db
    .select({
      hostId: hosts.id,
      hostName: hosts.name,
      zoneName: zones.name,
      clusterName: clusters.name,
      state: hosts.state,
      status: hosts.status,
      vms: sql<number>`(select count(*)::int from ${simulatorVms} where ${simulatorVms.hostId} = ${hosts.id})`.mapWith(Number),
      running:
        sql<number>`(select count(*)::int from ${simulatorVms} where ${simulatorVms.hostId} = ${hosts.id} and ${simulatorVms.state} = 'running')`.mapWith(
          Number,
        ),
    })
    .from(hosts)
    .innerJoin(zones, eq(zones.id, hosts.zoneId))
    .innerJoin(clusters, eq(clusters.id, hosts.clusterId))
    .where(eq(hosts.hypervisorType, "simulator"))
    .orderBy(asc(zones.name), asc(hosts.name))
    .limit(5000);
  return { latencyMs, faults, hosts: hostRows };
}

/** Sets one operation's latency (0 removes it). */
export async function setSimulatorLatency(db: DbOrTx, caller: Caller, input: SetSimulatorLatencyInput) {
  assertInfra(caller, "manage");
  const patch = JSON.stringify({ [input.operation]: input.ms });
  await db
    .insert(simulatorSettings)
    .values({ id: "default", latencyMs: { [input.operation]: input.ms } })
    .onConflictDoUpdate({ target: simulatorSettings.id, set: { latencyMs: sql`${simulatorSettings.latencyMs} || ${patch}::jsonb` } });
  await recordEvent(db, {
    type: "SIMULATOR.LATENCY",
    description: `Simulator latency of ${input.operation} set to ${input.ms} ms`,
    actorUserId: caller.userId,
    details: { operation: input.operation, ms: input.ms },
  });
  invalidate();
  return { operation: input.operation, ms: input.ms };
}

export async function addSimulatorFault(db: DbOrTx, caller: Caller, raw: AddSimulatorFaultInput) {
  assertInfra(caller, "manage");
  const input = addSimulatorFaultInput.parse(raw);
  if (input.hostId) {
    const [h] = await db.select({ type: hosts.hypervisorType }).from(hosts).where(eq(hosts.id, input.hostId));
    if (!h) throw new ServiceError("NOT_FOUND", "Host not found", "hostId");
    if (h.type !== "simulator") throw new ServiceError("BAD_REQUEST", "Faults can only be injected into simulated hosts", "hostId");
  }
  const [fault] = await db
    .insert(simulatorFaults)
    .values({
      operation: input.operation,
      hostId: input.hostId ?? null,
      probability: input.probability,
      remaining: input.remaining ?? null,
      transient: input.transient,
      message: input.message,
    })
    .returning();
  await recordEvent(db, {
    type: "SIMULATOR.FAULT.ADD",
    level: "warn",
    description: `Simulator fault injected: ${input.operation}${input.hostId ? " on one host" : " on every host"}${
      input.remaining ? `, next ${input.remaining} call(s)` : ""
    }${input.probability < 1 ? `, probability ${input.probability}` : ""}${input.transient ? ", transient" : ""}`,
    actorUserId: caller.userId,
    resourceType: input.hostId ? "host" : undefined,
    resourceId: input.hostId ?? undefined,
    details: { faultId: fault!.id },
  });
  invalidate();
  return fault!;
}

export async function removeSimulatorFault(db: DbOrTx, caller: Caller, id: string) {
  assertInfra(caller, "manage");
  const [gone] = await db.delete(simulatorFaults).where(eq(simulatorFaults.id, id)).returning();
  if (!gone) throw notFound("Fault");
  await recordEvent(db, {
    type: "SIMULATOR.FAULT.REMOVE",
    description: `Simulator fault on ${gone.operation} removed`,
    actorUserId: caller.userId,
    details: { faultId: gone.id },
  });
  invalidate();
  return { id: gone.id };
}

/** Removes every fault (and, with `latency`, every latency): the simulator back to a healthy cloud. */
export async function resetSimulator(db: DbOrTx, caller: Caller, opts: { latency: boolean }) {
  assertInfra(caller, "manage");
  const removed = await db
    .delete(simulatorFaults)
    .where(sql`true`)
    .returning({ id: simulatorFaults.id }); // every fault: the whole table is meant
  if (opts.latency)
    await db
      .update(simulatorSettings)
      .set({ latencyMs: {} })
      .where(and(eq(simulatorSettings.id, "default")));
  await recordEvent(db, {
    type: "SIMULATOR.RESET",
    description: `Simulator reset: ${removed.length} fault(s) removed${opts.latency ? ", latency cleared" : ""}`,
    actorUserId: caller.userId,
  });
  invalidate();
  return { faultsRemoved: removed.length };
}
