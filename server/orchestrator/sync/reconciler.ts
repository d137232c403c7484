import { and, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import { observeReconcileBatch } from "@/server/telemetry/metrics";
import type { Db, Tx } from "@/db";
import { hosts, instances, jobs } from "@/db/schema";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import type { DriverVm, HostRef } from "@/server/orchestrator/drivers/types";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { releaseFromHost } from "@/server/orchestrator/planner/planner";
import type { VmState } from "@/lib/vm-state";
import { recordEvent } from "@/server/core/events";
import { recordVmEvent } from "@/server/core/events";
import { retryOnDeadlock } from "@/server/core/retry";
import { billedAsRunning, recordUsage } from "@/server/core/usage";
import { transitionVm, type VmTransition } from "@/server/core/vm-transition";
import { reconcileNetworks } from "./networks";
import { reconcileSecurityGroups } from "../network/security-groups";

type Instance = typeof instances.$inferSelect;
type Host = typeof hosts.$inferSelect;

export interface ReconcileOptions {
  /** A host silent for this long is Down (its VMs Unknown); before that it is Disconnected. */
  downAfterMs?: number;
  /** Names already reported as unknown to Stratus, so each is reported once per process. */
  reportedUnknown?: Set<string>;
}

export interface HostReport {
  hostId: string;
  status: Host["status"];
  changed: { vm: string; from: VmState; to: VmState }[];
  unknownVms: string[];
}

/** Guarded state change by the reconciler: only if the VM is still where, and as, we saw it. */
const sync = (tx: Tx, vm: Instance, to: VmState, set: VmTransition["set"] = {}) =>
  transitionVm(tx, vm.id, { from: vm.state, to, set, where: eq(instances.stateChangedAt, vm.stateChangedAt) });

/**
 * One reconciliation of one host: a single listing call, then the database is brought in line
 * with the driver's truth. VMs with a job in flight are left to their job.
 */
export async function reconcileHost(db: Db, host: Host, opts: ReconcileOptions = {}): Promise<HostReport> {
  const ref: HostRef = hostRefOf(host);
  const report: HostReport = { hostId: host.id, status: host.status, changed: [], unknownVms: [] };
  let listed: DriverVm[];
  // A listing is a snapshot: a VM whose state changed after it was taken (a job finished meanwhile)
  // is judged by the next cycle, not by this stale picture.
  const listedAt = new Date();
  try {
    listed = await driverFor(ref).list(ref);
  } catch (e) {
    report.status = await hostSilent(db, host, e instanceof Error ? e.message : String(e), opts.downAfterMs ?? 90_000, report);
    return report;
  }
  // The heartbeat: the host row alone, in its own short transaction (never with VM rows).
  await retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      await tx.update(hosts).set({ status: "up", lastSeenAt: listedAt }).where(eq(hosts.id, host.id));
      if (host.status !== "up") {
        await recordEvent(tx, {
          type: "HOST.UP",
          description: `Host ${host.name} answers again`,
          resourceType: "host",
          resourceId: host.id,
        });
      }
    }),
  );
  report.status = "up";

  const onHost = await db
    .select()
    .from(instances)
    .where(
      and(
        eq(instances.hostId, host.id),
        inArray(instances.state, ["running", "stopped", "unknown"]),
        lt(instances.stateChangedAt, listedAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(jobs)
            .where(and(eq(jobs.resourceId, instances.id), inArray(jobs.status, ["queued", "running"]))),
        ),
      ),
    );
  const truth = new Map(listed.map((v) => [v.name, v.state]));
  for (const vm of onHost) {
    const actual = truth.get(vmInternalName(vm));
    const isRunning = actual === "running" || actual === "paused";
    let to: VmState | null = null;
    if ((vm.state === "running" || vm.state === "unknown") && !isRunning) to = "stopped";
    else if ((vm.state === "stopped" || vm.state === "unknown") && isRunning) to = "running";
    if (!to) continue;
    const changed = await retryOnDeadlock(() => db.transaction(async (tx) => applyTruth(tx, vm, to, host, actual ?? "missing")));
    if (changed) report.changed.push({ vm: vm.name, from: vm.state, to });
  }

  const known = new Set(
    (
      await db
        .select({ number: instances.number })
        .from(instances)
        .where(and(eq(instances.hostId, host.id), sql`${instances.state} <> 'expunged'`))
    ).map((r) => vmInternalName(r)),
  );
  for (const v of listed) {
    if (known.has(v.name)) continue;
    report.unknownVms.push(v.name);
    const key = `${host.id}:${v.name}`;
    if (opts.reportedUnknown?.has(key)) continue;
    opts.reportedUnknown?.add(key);
    await recordEvent(db, {
      type: "HOST.UNKNOWN_VM",
      level: "warn",
      description: `Host ${host.name} runs ${v.name} (${v.state}), which Stratus does not manage`,
      resourceType: "host",
      resourceId: host.id,
      details: { name: v.name, state: v.state },
    });
  }
  return report;
}

async function applyTruth(tx: Tx, vm: Instance, to: VmState, host: Host, actual: string) {
  if (to === "stopped") {
    const release = orchestratorConfig.releaseCapacityOnStop && vm.capacityReserved;
    const row = await sync(tx, vm, "stopped", release ? { capacityReserved: false } : {});
    if (!row) return false;
    if (release) await releaseFromHost(tx, host.id, vm);
    if (await billedAsRunning(tx, vm.id))
      await recordUsage(tx, "VM.STOP", row, { key: `reconcile:${vm.id}:${vm.stateChangedAt.getTime()}:VM.STOP` });
    await recordVmEvent(
      tx,
      row,
      "VM.STOPPED.OUT_OF_BAND",
      `${vm.name} is ${actual} on ${host.name} although Stratus had it ${vm.state}; now Stopped`,
      { level: "warn" },
    );
    return true;
  }
  const row = await sync(tx, vm, "running", { capacityReserved: true });
  if (!row) return false;
  if (!vm.capacityReserved) {
    // It runs there whether or not it fits: count it, so the planner sees the truth.
    await tx
      .update(hosts)
      .set({
        cpuUsedMhz: sql`${hosts.cpuUsedMhz} + ${vm.cpuCores * vm.cpuMhz}`,
        memoryUsedMib: sql`${hosts.memoryUsedMib} + ${vm.memoryMib}`,
      })
      .where(eq(hosts.id, host.id));
  }
  if (!(await billedAsRunning(tx, vm.id)))
    await recordUsage(tx, "VM.START", row, { key: `reconcile:${vm.id}:${vm.stateChangedAt.getTime()}:VM.START` });
  await recordVmEvent(
    tx,
    row,
    "VM.RUNNING.OUT_OF_BAND",
    `${vm.name} runs on ${host.name} although Stratus had it ${vm.state}; now Running`,
    { level: "warn" },
  );
  return true;
}

/**
 * A host that did not answer: Disconnected at once, Down once silent for `downAfterMs`. The host's
 * status is its own short transaction (it never holds a host row while waiting for VM rows); the
 * VMs of a Down host are then marked Unknown one transaction each, VM row first.
 */
async function hostSilent(db: Db, host: Host, error: string, downAfterMs: number, report: HostReport): Promise<Host["status"]> {
  const lastSeen = host.lastSeenAt ?? host.createdAt;
  const silentFor = Date.now() - lastSeen.getTime();
  const status: Host["status"] = silentFor >= downAfterMs ? "down" : "disconnected";
  if (status !== host.status) {
    await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const [updated] = await tx
          .update(hosts)
          .set({ status })
          .where(and(eq(hosts.id, host.id), eq(hosts.status, host.status)))
          .returning({ id: hosts.id });
        if (!updated) return;
        await recordEvent(tx, {
          type: status === "down" ? "HOST.DOWN" : "HOST.DISCONNECTED",
          level: status === "down" ? "error" : "warn",
          description: `Host ${host.name} is ${status}: ${error}`,
          resourceType: "host",
          resourceId: host.id,
        });
      }),
    );
  }
  // Every cycle while Down (cheap when nothing runs there): a process that died between the two
  // steps, or a VM a job moved meanwhile, is still brought to Unknown.
  if (status === "down") await unknownOnDownHost(db, host, lastSeen, report);
  return status;
}

/**
 * The VMs of a Down host may or may not still run: Unknown, never silently Stopped. Billing stops
 * at the moment the host was last seen (not when Stratus noticed): a VM.STOP fact dated then; it
 * starts again (VM.START) when the host is seen running the VM.
 */
async function unknownOnDownHost(db: Db, host: Host, lastSeen: Date, report: HostReport) {
  const affected = await db
    .select()
    .from(instances)
    .where(and(eq(instances.hostId, host.id), inArray(instances.state, ["running", "starting", "stopping"])));
  for (const vm of affected) {
    const row = await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const row = await transitionVm(tx, vm.id, { from: vm.state, to: "unknown", where: eq(instances.hostId, host.id) });
        if (!row) return null;
        if (await billedAsRunning(tx, vm.id)) {
          await recordUsage(tx, "VM.STOP", row, {
            key: `host-down:${vm.id}:${lastSeen.getTime()}:VM.STOP`,
            occurredAt: lastSeen,
            details: { reason: "host down", hostId: host.id },
          });
        }
        await recordVmEvent(tx, row, "VM.UNKNOWN", `${vm.name}'s host ${host.name} is down; its state is unknown`, { level: "warn" });
        return row;
      }),
    );
    if (row) report.changed.push({ vm: vm.name, from: vm.state, to: "unknown" });
  }
}

/** One cycle over every host, a few at a time. */
export async function reconcileAll(db: Db, opts: ReconcileOptions & { parallel?: number } = {}) {
  const all = await db.select().from(hosts);
  const reports: HostReport[] = [];
  const parallel = opts.parallel ?? 8;
  for (let i = 0; i < all.length; i += parallel) {
    const batch = all.slice(i, i + parallel);
    const t0 = performance.now();
    reports.push(
      ...(await Promise.all(
        batch.map((h) =>
          reconcileHost(db, h, opts).catch((e: unknown) => {
            console.error(`[reconciler] host ${h.name} failed`, e);
            return { hostId: h.id, status: h.status, changed: [], unknownVms: [] } satisfies HostReport;
          }),
        ),
      )),
    );
    observeReconcileBatch(batch.length, (performance.now() - t0) / 1000);
  }
  // Networks after VMs: leases follow the VMs' states just synced.
  await reconcileNetworks(db).catch((e: unknown) => console.error("[reconciler] networks failed", e));
  await reconcileSecurityGroups(db).catch((e: unknown) => console.error("[reconciler] security groups failed", e));
  return reports;
}
