/**
 * VM snapshots (issue 10): take (disks and memory of a running VM, or disks only), revert, delete.
 * A request checks and writes the row's state and the job in one transaction; the job (jobs.ts)
 * has the VM's driver do it and records the result. Jobs run on the instance (resource
 * "instance"), so a VM has one operation at a time: no start, stop or second snapshot meanwhile.
 */
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { hosts, jobs, vmSnapshots, volumes } from "@/db/schema";
import type { TakeVmSnapshotInput } from "@/lib/validation/vm-snapshots";
import type { VmSnapshotSupport } from "@/lib/vm-snapshot-state";
import type { Caller } from "@/server/authz/caller";
import { vmSnapshotScope } from "@/server/authz/scopes";
import { badRequest, conflict, notFound } from "@/server/core/errors";
import { recordVmEvent } from "@/server/core/events";
import { retryOnDeadlock } from "@/server/core/retry";
import { liveVmSnapshotCount } from "@/server/core/vm-snapshots";
import { transitionVmSnapshot, type VmSnapshot } from "@/server/core/vm-snapshot-transition";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { env } from "@/server/env";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { getInstanceInScope, type Instance } from "@/server/services/instances/access";
import { lockInState } from "@/server/services/instances/operations";

export type { VmSnapshot };

/** CloudStack's `vmsnapshot.max`: VM snapshots one VM may have (any state but Deleted); STRATUS_VMSNAPSHOT_MAX, default 10. */
export const vmSnapshotMax = () => env().STRATUS_VMSNAPSHOT_MAX;

const mutate = <T>(db: Db, fn: (tx: Tx) => Promise<T>) => retryOnDeadlock(() => db.transaction(fn));

const jobFor = (vm: Instance, userId: string | null) => ({
  resourceType: "instance",
  resourceId: vm.id,
  accountId: vm.accountId,
  domainPath: vm.domainPath,
  userId,
});

/** A VM snapshot in the caller's scope (not Deleted), or NOT_FOUND. */
export async function getVmSnapshotInScope(db: DbOrTx, caller: Caller, id: string): Promise<VmSnapshot> {
  const [row] = await db
    .select()
    .from(vmSnapshots)
    .where(and(eq(vmSnapshots.id, id), ne(vmSnapshots.state, "deleted"), vmSnapshotScope(caller)));
  if (!row) throw notFound("VM snapshot");
  return row;
}

/** What the VM's host can snapshot (its driver says); none when the VM has no host or the driver has no VM snapshots. */
export async function vmSnapshotSupportOf(db: DbOrTx, vm: Instance): Promise<VmSnapshotSupport | null> {
  const hostId = vm.hostId ?? vm.lastHostId;
  if (!hostId) return null;
  const [h] = await db.select().from(hosts).where(eq(hosts.id, hostId));
  if (!h) return null;
  const ref = hostRefOf(h);
  try {
    return driverFor(ref).vmSnapshots?.vmSnapshotSupport(ref) ?? null;
  } catch {
    return null; // no driver for this hypervisor in this process
  }
}

/** Rows of the VM's snapshots, oldest first (the tree reads top-down), with what its host supports. */
export async function listVmSnapshots(db: Db, caller: Caller, instanceId: string) {
  const vm = await getInstanceInScope(db, caller, instanceId);
  const rows = await db
    .select({
      id: vmSnapshots.id,
      name: vmSnapshots.name,
      description: vmSnapshots.description,
      type: vmSnapshots.type,
      state: vmSnapshots.state,
      parentId: vmSnapshots.parentId,
      current: vmSnapshots.current,
      sizeBytes: vmSnapshots.sizeBytes,
      error: vmSnapshots.error,
      createdAt: vmSnapshots.createdAt,
    })
    .from(vmSnapshots)
    .where(and(eq(vmSnapshots.instanceId, vm.id), ne(vmSnapshots.state, "deleted"), vmSnapshotScope(caller)))
    .orderBy(asc(vmSnapshots.createdAt), asc(vmSnapshots.id));
  return { snapshots: rows, support: await vmSnapshotSupportOf(db, vm), max: vmSnapshotMax() };
}

/**
 * The VM's disks locked (after the VM, in the lock order), all Ready and with no job of their own:
 * a volume snapshot at work freezes layers, a resize or attach changes the disk set.
 */
async function lockIdleDisks(tx: Tx, vm: Instance) {
  const disks = await tx
    .select()
    .from(volumes)
    .where(
      and(
        eq(volumes.instanceId, vm.id),
        inArray(volumes.state, ["ready", "attaching", "detaching", "resizing", "migrating", "reverting", "error"]),
      ),
    )
    .for("update");
  for (const d of disks)
    if (d.state !== "ready") throw conflict(`Volume ${d.name} of ${vm.name} is ${d.state}; try again when it is Ready`);
  if (disks.length === 0) return;
  const [busy] = await tx
    .select({ type: jobs.type })
    .from(jobs)
    .where(
      and(
        inArray(
          jobs.resourceId,
          disks.map((d) => d.id),
        ),
        inArray(jobs.status, ["queued", "running"]),
      ),
    )
    .limit(1);
  if (busy) throw conflict(`A volume of ${vm.name} is busy (${busy.type}); try again when that job has finished`);
}

function requireRunningOrStopped(vm: Instance, what: string) {
  if (vm.state !== "running" && vm.state !== "stopped")
    throw conflict(`VM snapshots can be ${what} only while the instance is running or stopped; ${vm.name} is ${vm.state}`);
}

/** Takes a VM snapshot: the row in Creating (its parent the current one) and the job, in one transaction. */
export async function takeVmSnapshot(db: Db, caller: Caller, input: TakeVmSnapshotInput) {
  const vm = await getInstanceInScope(db, caller, input.instanceId);
  requireRunningOrStopped(vm, "taken");
  const support = await vmSnapshotSupportOf(db, vm);
  if (!support) throw conflict(`The host of ${vm.name} cannot take VM snapshots`);
  if (input.type === "disk_and_memory" && vm.state !== "running")
    throw badRequest(`${vm.name} is stopped: there is no memory to save; take a disk-only snapshot`, "type");
  if (input.type === "disk" && vm.state === "running" && !support.diskOnlyWhileRunning)
    throw badRequest(
      `The hypervisor of ${vm.name} takes disk-only snapshots of stopped VMs only: include the memory, or stop the instance first`,
      "type",
    );
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    await lockIdleDisks(tx, locked);
    const n = await liveVmSnapshotCount(tx, vm.id);
    const max = vmSnapshotMax();
    if (n >= max)
      throw conflict(`${vm.name} has ${n} VM snapshots, the most one instance may have (vmsnapshot.max = ${max}); delete one first`);
    const [clash] = await tx
      .select({ id: vmSnapshots.id })
      .from(vmSnapshots)
      .where(and(eq(vmSnapshots.instanceId, vm.id), eq(vmSnapshots.name, input.name), ne(vmSnapshots.state, "deleted")));
    if (clash) throw badRequest(`${vm.name} already has a VM snapshot named ${input.name}`, "name");
    const [current] = await tx
      .select({ id: vmSnapshots.id })
      .from(vmSnapshots)
      .where(and(eq(vmSnapshots.instanceId, vm.id), eq(vmSnapshots.current, true), ne(vmSnapshots.state, "deleted")));
    const [snap] = await tx
      .insert(vmSnapshots)
      .values({
        instanceId: vm.id,
        accountId: vm.accountId,
        domainId: vm.domainId,
        domainPath: vm.domainPath,
        zoneId: vm.zoneId,
        name: input.name,
        description: input.description ?? null,
        type: input.type,
        parentId: current?.id ?? null,
      })
      .returning();
    const kind = input.type === "disk_and_memory" ? "disks and memory" : "disks";
    await recordVmEvent(tx, locked, "VMSNAPSHOT.CREATE", `Taking VM snapshot ${input.name} of ${vm.name} (${kind})`, {
      actor: caller,
      details: { vmSnapshotId: snap!.id, type: input.type },
    });
    const job = await enqueueJob(tx, { ...jobFor(locked, caller.userId), type: "vmsnapshot.take", input: { vmSnapshotId: snap!.id } });
    return { id: snap!.id, jobId: job.id };
  });
}

/**
 * Reverts the VM to a Ready snapshot. A memory snapshot needs the VM running (it resumes as it was
 * then: a revert must not start a stopped VM behind the planner's back); a disk-only one needs it
 * stopped (its disks are rewritten). Everything since the snapshot is lost.
 */
export async function revertVmSnapshot(db: Db, caller: Caller, id: string) {
  const snap = await getVmSnapshotInScope(db, caller, id);
  if (snap.state !== "ready") throw conflict(`VM snapshot ${snap.name} is ${snap.state}; only a Ready one can be reverted to`);
  const vm = await getInstanceInScope(db, caller, snap.instanceId);
  requireRunningOrStopped(vm, "reverted to");
  if (snap.type === "disk_and_memory" && vm.state !== "running")
    throw conflict(`Start ${vm.name} before reverting to ${snap.name}: a snapshot with memory resumes the running VM as it was`);
  if (snap.type === "disk" && vm.state !== "stopped")
    throw conflict(`Stop ${vm.name} before reverting to ${snap.name}: a disk-only snapshot rewrites the disks of a stopped VM`);
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    await lockIdleDisks(tx, locked);
    const moved = await transitionVmSnapshot(tx, snap.id, { from: "ready", to: "reverting" });
    if (!moved) throw conflict(`VM snapshot ${snap.name} changed meanwhile; reload and try again`);
    await recordVmEvent(tx, locked, "VMSNAPSHOT.REVERTTO", `Reverting ${vm.name} to VM snapshot ${snap.name}`, {
      actor: caller,
      details: { vmSnapshotId: snap.id },
    });
    const job = await enqueueJob(tx, { ...jobFor(locked, caller.userId), type: "vmsnapshot.revert", input: { vmSnapshotId: snap.id } });
    return { id: snap.id, jobId: job.id };
  });
}

/** Deletes a Ready or Error snapshot (its children become its parent's, as libvirt does). */
export async function deleteVmSnapshot(db: Db, caller: Caller, id: string) {
  const snap = await getVmSnapshotInScope(db, caller, id);
  if (snap.state !== "ready" && snap.state !== "error")
    throw conflict(`VM snapshot ${snap.name} is ${snap.state}; delete it when that has finished`);
  const vm = await getInstanceInScope(db, caller, snap.instanceId);
  requireRunningOrStopped(vm, "deleted");
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    const moved = await transitionVmSnapshot(tx, snap.id, { from: ["ready", "error"], to: "deleting" });
    if (!moved) throw conflict(`VM snapshot ${snap.name} changed meanwhile; reload and try again`);
    await recordVmEvent(tx, locked, "VMSNAPSHOT.DELETE", `Deleting VM snapshot ${snap.name} of ${vm.name}`, {
      actor: caller,
      details: { vmSnapshotId: snap.id },
    });
    const job = await enqueueJob(tx, { ...jobFor(locked, caller.userId), type: "vmsnapshot.delete", input: { vmSnapshotId: snap.id } });
    return { id: snap.id, jobId: job.id };
  });
}
