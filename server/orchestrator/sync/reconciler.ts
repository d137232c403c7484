import { and, eq, inArray, sql } from "drizzle-orm";
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
  /** Called after a host's status change committed (Up, Disconnected, Down): prompt alert evaluation. */
  onHostStatusChange?: (hostId: string, status: Host["status"]) => void;
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

/** The host columns the reconciler reads (not the whole row: a cycle reads every host it owns). */
export const reconcileHostColumns = {
  id: hosts.id,
  name: hosts.name,
  address: hosts.address,
  hypervisorType: hosts.hypervisorType,
  domainType: hosts.domainType,
  kvmAccelerated: hosts.kvmAccelerated,
  status: hosts.status,
  lastSeenAt: hosts.lastSeenAt,
  createdAt: hosts.createdAt,
  managedBy: hosts.managedBy,
};
export type ReconcileHost = Pick<Host, keyof typeof reconcileHostColumns>;

/**
 * One reconciliation of one host: a single listing call, then the database is brought in line
 * with the driver's truth. VMs with a job in flight are left to their job.
 */
export async function reconcileHost(db: Db, host: ReconcileHost, opts: ReconcileOptions = {}): Promise<HostReport> {
  return (await reconcileHosts(db, [host], opts))[0]!;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * Reconciles a batch of hosts: one listing call per host (`parallel` at a time), then a handful of
 * statements for the whole batch: one heartbeat update of the hosts that answered, one read of
 * their VMs (with whether a job is in flight on each), and a short transaction per VM that really
 * changed. So a cycle over 100,000 hosts costs the listings plus a few statements per batch.
 */
export async function reconcileHosts(
  db: Db,
  batch: readonly ReconcileHost[],
  opts: ReconcileOptions & { parallel?: number; node?: string } = {},
): Promise<HostReport[]> {
  // A listing is a snapshot: a VM whose state changed after it was taken (a job finished meanwhile)
  // is judged by the next cycle, not by this stale picture. Taken before every listing of the batch.
  const listedAt = new Date();
  const listings = await mapLimit(batch, opts.parallel ?? 32, async (host) => {
    try {
      const ref: HostRef = hostRefOf(host);
      return { host, listed: await driverFor(ref).list(ref) };
    } catch (e) {
      return { host, error: e instanceof Error ? e.message : String(e) };
    }
  });
  const reports = new Map<string, HostReport>(batch.map((h) => [h.id, { hostId: h.id, status: h.status, changed: [], unknownVms: [] }]));
  const answered: { host: ReconcileHost; listed: DriverVm[] }[] = [];
  for (const l of listings) {
    if ("listed" in l && l.listed) answered.push({ host: l.host, listed: l.listed });
    else {
      const report = reports.get(l.host.id)!;
      report.status = await hostSilent(db, l.host, l.error ?? "no answer", opts.downAfterMs ?? 90_000, report, opts.onHostStatusChange);
    }
  }
  // Which process works these hosts (shown on the hosts page); written only when it changes.
  if (opts.node) {
    const moved = batch.filter((h) => h.managedBy !== opts.node).map((h) => h.id);
    if (moved.length) await db.update(hosts).set({ managedBy: opts.node }).where(inArray(hosts.id, moved));
  }
  // The heartbeat: the host rows alone, never with VM rows. Hosts that were up: one statement for
  // all; a host coming back: its own transaction with its HOST.UP event.
  const wasUp = answered.filter((a) => a.host.status === "up").map((a) => a.host.id);
  if (wasUp.length) await db.update(hosts).set({ lastSeenAt: listedAt }).where(inArray(hosts.id, wasUp));
  for (const { host } of answered.filter((a) => a.host.status !== "up")) {
    const back = await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const [back] = await tx
          .update(hosts)
          .set({ status: "up", lastSeenAt: listedAt })
          .where(and(eq(hosts.id, host.id), sql`${hosts.status} <> 'up'`))
          .returning({ id: hosts.id });
        if (!back) return false;
        await recordEvent(tx, {
          type: "HOST.UP",
          description: `Host ${host.name} answers again`,
          resourceType: "host",
          resourceId: host.id,
        });
        return true;
      }),
    );
    if (back) opts.onHostStatusChange?.(host.id, "up");
  }
  for (const { host } of answered) reports.get(host.id)!.status = "up";
  if (!answered.length) return [...reports.values()];

  // Every VM Stratus places on these hosts, with whether a job is working on it.
  const seen = await db
    .select({
      id: instances.id,
      number: instances.number,
      hostId: instances.hostId,
      state: instances.state,
      stateChangedAt: instances.stateChangedAt,
      busy: sql<boolean>`exists (select 1 from ${jobs} where ${jobs.resourceId} = ${instances.id} and ${jobs.status} in ('queued', 'running'))`,
    })
    .from(instances)
    .where(
      and(
        inArray(
          instances.hostId,
          answered.map((a) => a.host.id),
        ),
        sql`${instances.state} <> 'expunged'`,
      ),
    );
  const byHost = new Map<string, typeof seen>();
  for (const vm of seen) {
    const list = byHost.get(vm.hostId!) ?? [];
    list.push(vm);
    byHost.set(vm.hostId!, list);
  }
  const wanted: { vmId: string; state: VmState; stateChangedAt: number; to: VmState; host: ReconcileHost; actual: string }[] = [];
  for (const { host, listed } of answered) {
    const onHost = byHost.get(host.id) ?? [];
    const truth = new Map(listed.map((v) => [v.name, v.state]));
    for (const vm of onHost) {
      if (vm.busy || !["running", "stopped", "unknown"].includes(vm.state) || vm.stateChangedAt >= listedAt) continue;
      const actual = truth.get(vmInternalName(vm));
      const isRunning = actual === "running" || actual === "paused";
      let to: VmState | null = null;
      if ((vm.state === "running" || vm.state === "unknown") && !isRunning) to = "stopped";
      else if ((vm.state === "stopped" || vm.state === "unknown") && isRunning) to = "running";
      if (to)
        wanted.push({ vmId: vm.id, state: vm.state, stateChangedAt: vm.stateChangedAt.getTime(), to, host, actual: actual ?? "missing" });
    }
    const known = new Set(onHost.map((vm) => vmInternalName(vm)));
    const report = reports.get(host.id)!;
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
  }
  if (!wanted.length) return [...reports.values()];
  // The few VMs that differ: their whole rows, then one guarded transaction each.
  const full = new Map(
    (
      await db
        .select()
        .from(instances)
        .where(
          inArray(
            instances.id,
            wanted.map((w) => w.vmId),
          ),
        )
    ).map((r) => [r.id, r]),
  );
  for (const w of wanted) {
    const vm = full.get(w.vmId);
    // Changed since the read above: the next cycle judges it.
    if (!vm || vm.state !== w.state || vm.stateChangedAt.getTime() !== w.stateChangedAt) continue;
    const changed = await retryOnDeadlock(() => db.transaction(async (tx) => applyTruth(tx, vm, w.to, w.host, w.actual)));
    if (changed) reports.get(w.host.id)!.changed.push({ vm: vm.name, from: vm.state, to: w.to });
  }
  return [...reports.values()];
}

async function applyTruth(tx: Tx, vm: Instance, to: VmState, host: ReconcileHost, actual: string) {
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
async function hostSilent(
  db: Db,
  host: ReconcileHost,
  error: string,
  downAfterMs: number,
  report: HostReport,
  onChange?: ReconcileOptions["onHostStatusChange"],
): Promise<Host["status"]> {
  const lastSeen = host.lastSeenAt ?? host.createdAt;
  const silentFor = Date.now() - lastSeen.getTime();
  const status: Host["status"] = silentFor >= downAfterMs ? "down" : "disconnected";
  let moved = false;
  if (status !== host.status) {
    moved = await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const [updated] = await tx
          .update(hosts)
          .set({ status })
          .where(and(eq(hosts.id, host.id), eq(hosts.status, host.status)))
          .returning({ id: hosts.id });
        if (!updated) return false;
        await recordEvent(tx, {
          type: status === "down" ? "HOST.DOWN" : "HOST.DISCONNECTED",
          level: status === "down" ? "error" : "warn",
          description: `Host ${host.name} is ${status}: ${error}`,
          resourceType: "host",
          resourceId: host.id,
        });
        return true;
      }),
    );
  }
  // Every cycle while Down (cheap when nothing runs there): a process that died between the two
  // steps, or a VM a job moved meanwhile, is still brought to Unknown.
  if (status === "down") await unknownOnDownHost(db, host, lastSeen, report);
  // After its VMs are Unknown, so one evaluation sees the whole failure.
  if (moved) onChange?.(host.id, status);
  return status;
}

/**
 * The VMs of a Down host may or may not still run: Unknown, never silently Stopped. Billing stops
 * at the moment the host was last seen (not when Stratus noticed): a VM.STOP fact dated then; it
 * starts again (VM.START) when the host is seen running the VM.
 */
async function unknownOnDownHost(db: Db, host: ReconcileHost, lastSeen: Date, report: HostReport) {
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

/**
 * One cycle over every host this process owns (all of them when `owns` is not given), in batches
 * of `batch` hosts. The networks are checked by the cluster's leading process only, security
 * groups by each VM's host owner.
 */
export async function reconcileAll(
  db: Db,
  opts: ReconcileOptions & { parallel?: number; batch?: number; node?: string; owns?: (hostId: string) => boolean; leads?: boolean } = {},
) {
  const all = await db.select(reconcileHostColumns).from(hosts);
  const mine = opts.owns ? all.filter((h) => opts.owns!(h.id)) : all;
  const reports: HostReport[] = [];
  const size = opts.batch ?? 500;
  for (let i = 0; i < mine.length; i += size) {
    const batch = mine.slice(i, i + size);
    const t0 = performance.now();
    reports.push(
      ...(await reconcileHosts(db, batch, opts).catch((e: unknown) => {
        console.error(`[reconciler] hosts ${batch[0]!.name}…${batch.at(-1)!.name} failed`, e);
        return batch.map((h) => ({ hostId: h.id, status: h.status, changed: [], unknownVms: [] }) satisfies HostReport);
      })),
    );
    observeReconcileBatch(batch.length, (performance.now() - t0) / 1000);
  }
  // Networks after VMs: leases follow the VMs' states just synced.
  if (opts.leads !== false) await reconcileNetworks(db).catch((e: unknown) => console.error("[reconciler] networks failed", e));
  await reconcileSecurityGroups(db, opts.owns).catch((e: unknown) => console.error("[reconciler] security groups failed", e));
  return reports;
}
