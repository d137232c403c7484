/**
 * The VM-snapshot jobs: each has the VM's driver do it on the VM's host (where its domain and disks
 * are), then writes the result, the usage fact and the event in the transaction that finishes the
 * job. They run on the instance, so they never overlap with another operation on the VM.
 */
import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx, Tx } from "@/db";
import { instances, vmSnapshots } from "@/db/schema";
import { recordVmEvent } from "@/server/core/events";
import { recordVmSnapshotUsage } from "@/server/core/usage";
import { hypervisorSnapshotName } from "@/server/core/vm-snapshots";
import { transitionVmSnapshot, type VmSnapshot } from "@/server/core/vm-snapshot-transition";
import { loadHostRef } from "@/server/orchestrator/drivers/host-ref";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { DriverError, type HostRef, type VmSnapshotDriver } from "@/server/orchestrator/drivers/types";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { vmInternalName } from "@/server/orchestrator/vm-name";

const vmSnapshotInput = z.object({ vmSnapshotId: z.string().uuid() });

declare global {
  interface StratusJobInputs {
    "vmsnapshot.take": typeof vmSnapshotInput;
    "vmsnapshot.revert": typeof vmSnapshotInput;
    "vmsnapshot.delete": typeof vmSnapshotInput;
  }
}

async function loadSnapshot(db: DbOrTx, id: string): Promise<VmSnapshot> {
  const [row] = await db.select().from(vmSnapshots).where(eq(vmSnapshots.id, id));
  if (!row) throw new Error(`VM snapshot ${id} no longer exists`);
  return row;
}

async function loadVm(db: DbOrTx, id: string) {
  const [vm] = await db.select().from(instances).where(eq(instances.id, id));
  if (!vm) throw new Error(`Instance ${id} no longer exists`);
  return vm;
}

/** The VM's host and its driver's VM-snapshot part; a host that is down makes the job wait (transient). */
async function target(
  db: Db,
  snap: VmSnapshot,
): Promise<{ vm: typeof instances.$inferSelect; host: HostRef; driver: VmSnapshotDriver; name: string }> {
  const vm = await loadVm(db, snap.instanceId);
  const host = await loadHostRef(db, vm.hostId ?? vm.lastHostId);
  if (!host) throw new DriverError(`The host of ${vm.name} is not available; the VM snapshot waits for it`, true);
  const driver = driverFor(host).vmSnapshots;
  if (!driver) throw new DriverError(`The hypervisor of ${vm.name} has no VM snapshots`);
  return { vm, host, driver, name: hypervisorSnapshotName(snap.id) };
}

/** Makes `id` the VM's one current snapshot (the last taken or reverted to). */
async function makeCurrent(tx: Tx, instanceId: string, id: string | null) {
  await tx
    .update(vmSnapshots)
    .set({ current: false })
    .where(and(eq(vmSnapshots.instanceId, instanceId), eq(vmSnapshots.current, true)));
  if (id) await tx.update(vmSnapshots).set({ current: true }).where(eq(vmSnapshots.id, id));
}

const take = defineJob({
  type: "vmsnapshot.take",
  input: vmSnapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.vmSnapshotId);
    const { vm, host, driver, name } = await target(ctx.db, snap);
    const memory = snap.type === "disk_and_memory";
    await ctx.progress(20, memory ? "Saving the memory and the disks" : "Snapshotting the disks");
    const made = await driver.takeVmSnapshot(host, vmInternalName(vm), { name, memory });
    await ctx.finish(async (tx) => {
      const ready = await transitionVmSnapshot(tx, snap.id, { from: "creating", to: "ready", set: { sizeBytes: made.sizeBytes } });
      if (!ready) return { state: "changed meanwhile" };
      await makeCurrent(tx, vm.id, ready.id);
      await recordVmSnapshotUsage(tx, "VMSNAPSHOT.CREATE", ready, { key: `${ctx.job.id}:VMSNAPSHOT.CREATE` });
      await recordVmEvent(tx, vm, "VMSNAPSHOT.CREATED", `VM snapshot ${ready.name} of ${vm.name} is ready`, {
        details: { vmSnapshotId: ready.id, sizeBytes: made.sizeBytes },
      });
      return { state: "ready", sizeBytes: made.sizeBytes };
    });
  },
  async onFailure(tx, job, err) {
    const { vmSnapshotId } = vmSnapshotInput.parse(job.input);
    const failed = await transitionVmSnapshot(tx, vmSnapshotId, { from: "creating", to: "error", set: { error: err.message } });
    if (failed)
      await recordVmEvent(
        tx,
        await loadVm(tx, failed.instanceId),
        "VMSNAPSHOT.CREATE.FAILED",
        `VM snapshot ${failed.name} failed: ${err.message}`,
        {
          level: "error",
        },
      );
  },
});

const revert = defineJob({
  type: "vmsnapshot.revert",
  input: vmSnapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.vmSnapshotId);
    const { vm, host, driver, name } = await target(ctx.db, snap);
    await ctx.progress(20, snap.type === "disk_and_memory" ? "Restoring the memory and the disks" : "Restoring the disks");
    await ctx.step("revert", () => driver.revertVmSnapshot(host, vmInternalName(vm), name));
    await ctx.finish(async (tx) => {
      const back = await transitionVmSnapshot(tx, snap.id, { from: "reverting", to: "ready" });
      if (!back) return { state: "changed meanwhile" };
      await makeCurrent(tx, vm.id, back.id);
      await recordVmSnapshotUsage(tx, "VMSNAPSHOT.REVERTTO", back, { key: `${ctx.job.id}:VMSNAPSHOT.REVERTTO` });
      await recordVmEvent(tx, vm, "VMSNAPSHOT.REVERTED", `${vm.name} is reverted to VM snapshot ${back.name}`, {
        details: { vmSnapshotId: back.id },
      });
      return { state: "ready" };
    });
  },
  async onFailure(tx, job, err) {
    const { vmSnapshotId } = vmSnapshotInput.parse(job.input);
    // The snapshot is still there: Ready again; the event says the VM was not reverted.
    const back = await transitionVmSnapshot(tx, vmSnapshotId, { from: "reverting", to: "ready" });
    if (back)
      await recordVmEvent(
        tx,
        await loadVm(tx, back.instanceId),
        "VMSNAPSHOT.REVERT.FAILED",
        `Could not revert to ${back.name}: ${err.message}`,
        {
          level: "error",
        },
      );
  },
});

const remove = defineJob({
  type: "vmsnapshot.delete",
  input: vmSnapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.vmSnapshotId);
    const { vm, host, driver, name } = await target(ctx.db, snap);
    await ctx.progress(30, "Deleting the snapshot from the disks");
    await ctx.step("delete", () => driver.deleteVmSnapshot(host, vmInternalName(vm), name));
    await ctx.finish(async (tx) => {
      const gone = await transitionVmSnapshot(tx, snap.id, { from: "deleting", to: "deleted", set: { current: false } });
      if (!gone) return { state: "changed meanwhile" };
      // The tree closes over it (as libvirt's snapshot-delete does): its children hang from its parent,
      // and when it was current its parent is.
      await tx
        .update(vmSnapshots)
        .set({ parentId: gone.parentId })
        .where(and(eq(vmSnapshots.parentId, gone.id), ne(vmSnapshots.state, "deleted")));
      if (snap.current) await makeCurrent(tx, vm.id, gone.parentId);
      // Billed only once it was Ready (it has a size then); an Error take was never billed.
      if (gone.sizeBytes !== null) await recordVmSnapshotUsage(tx, "VMSNAPSHOT.DELETE", gone, { key: `${ctx.job.id}:VMSNAPSHOT.DELETE` });
      await recordVmEvent(tx, vm, "VMSNAPSHOT.DELETED", `VM snapshot ${gone.name} of ${vm.name} is deleted`, {
        details: { vmSnapshotId: gone.id },
      });
      return { state: "deleted" };
    });
  },
  async onFailure(tx, job, err) {
    const { vmSnapshotId } = vmSnapshotInput.parse(job.input);
    const failed = await transitionVmSnapshot(tx, vmSnapshotId, { from: "deleting", to: "error", set: { error: err.message } });
    if (failed)
      await recordVmEvent(
        tx,
        await loadVm(tx, failed.instanceId),
        "VMSNAPSHOT.DELETE.FAILED",
        `VM snapshot ${failed.name} could not be deleted: ${err.message}`,
        {
          level: "error",
        },
      );
  },
});

export const vmSnapshotJobs = [take, revert, remove];
