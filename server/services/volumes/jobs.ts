import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "@/db";
import { instances, snapshotPolicies, volumes } from "@/db/schema";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { DriverError, type VolumeCopier } from "@/server/orchestrator/drivers/types";
import { releaseFromPool } from "@/server/orchestrator/planner/storage";
import { loadVolumeRef } from "@/server/orchestrator/volume-ref";
import { volumeJobTarget, volumeTarget } from "./job-target";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { release } from "@/server/core/limits";
import { recordVolumeUsage } from "@/server/core/usage";
import { transitionVolume, type Volume } from "@/server/core/volume-transition";
import { countsAgainstLimits, recordVolumeEvent, volumeDeltas } from "@/server/core/volumes";
import { volumeStates } from "@/lib/volume-state";

/** Inputs of the volume jobs (the API writes them; the worker parses them before a handler runs). */
const attachInput = z.object({ instanceId: z.string().uuid(), placed: z.boolean() });
const detachInput = z.object({ instanceId: z.string().uuid() });
const resizeInput = z.object({ fromGib: z.number().int().positive(), toGib: z.number().int().positive() });
const expungeInput = z.object({ from: z.enum(volumeStates) });
const migrateInput = z.object({ fromPoolId: z.string().uuid(), toPoolId: z.string().uuid() });

declare global {
  interface StratusJobInputs {
    "volume.attach": typeof attachInput;
    "volume.detach": typeof detachInput;
    "volume.resize": typeof resizeInput;
    "volume.expunge": typeof expungeInput;
    "volume.migrate": typeof migrateInput;
  }
}

/**
 * Volume jobs: one driver step or two between short transactions, and a final guarded state change
 * (`transitionVolume`) committed with the job's completion. A permanent failure's `onFailure` puts the
 * volume back in a truthful state and gives back what the request had taken (pool GiB, limits).
 */

async function loadVolume(db: Db | Tx, id: string): Promise<Volume> {
  const [vol] = await db.select().from(volumes).where(eq(volumes.id, id));
  if (!vol) throw new Error(`Volume ${id} no longer exists`);
  return vol;
}

/** The volume row, locked: the first lock of a volume job's final or failure transaction (before pools, counters and the job). */
async function lockVolume(tx: Tx, id: string): Promise<Volume> {
  const [vol] = await tx.select().from(volumes).where(eq(volumes.id, id)).for("update");
  if (!vol) throw new Error(`Volume ${id} no longer exists`);
  return vol;
}

async function loadInstance(db: Db, id: string | null) {
  if (!id) throw new Error("The volume is not attached to an instance");
  const [vm] = await db.select().from(instances).where(eq(instances.id, id));
  if (!vm) throw new Error(`Instance ${id} no longer exists`);
  return vm;
}

export { volumeTarget };

const attach = defineJob({
  type: "volume.attach",
  input: attachInput,
  async run(ctx) {
    const { vol, host, ref, driver } = await volumeJobTarget(ctx.db, ctx.job.resourceId);
    const vm = await loadInstance(ctx.db, vol.instanceId);
    if (ctx.input.placed)
      await ctx.step("create", () => driver.createVolume(host, ref, { sizeGib: vol.sizeGib }), {
        progress: 50,
        message: `Plugging the volume into ${vm.name}`,
      });
    await ctx.step("attach", () => driver.attachVolume(host, vmInternalName(vm), ref, vol.deviceTarget!), {
      progress: 90,
      message: "Recording the new state",
    });
    await ctx.finish(async (tx) => {
      await lockVolume(tx, vol.id);
      const ready = await transitionVolume(tx, vol.id, { from: "attaching", to: "ready" });
      if (!ready) return { state: "changed meanwhile" };
      await recordVolumeEvent(tx, ready, "VOLUME.ATTACHED", `${vol.name} is attached to ${vm.name} as ${vol.deviceTarget}`);
      return { state: "ready", instanceId: vm.id, deviceTarget: vol.deviceTarget };
    });
  },
  async onFailure(tx, job, err, input) {
    const vol = await lockVolume(tx, job.resourceId);
    // A volume placed by this attach whose disk was never made goes back to Allocated, its pool GiB
    // given back; one whose disk exists stays on its pool, detached.
    const unmade = input?.placed === true && !job.steps.includes("create");
    const moved = await transitionVolume(tx, vol.id, {
      from: "attaching",
      to: unmade ? "allocated" : "ready",
      set: { instanceId: null, deviceTarget: null, ...(unmade ? { storagePoolId: null } : {}) },
    });
    if (moved && unmade && vol.storagePoolId) await releaseFromPool(tx, vol.storagePoolId, vol.sizeGib);
    await recordVolumeEvent(tx, vol, "VOLUME.ATTACH.FAILED", `${vol.name} could not be attached: ${err.message}`, { level: "error" });
  },
});

const detach = defineJob({
  type: "volume.detach",
  input: detachInput,
  async run(ctx) {
    const { vol, host, ref, driver } = await volumeJobTarget(ctx.db, ctx.job.resourceId);
    const vm = await loadInstance(ctx.db, vol.instanceId);
    await ctx.progress(30, `Unplugging the volume from ${vm.name}`);
    await ctx.step("detach", () => driver.detachVolume(host, vmInternalName(vm), ref, vol.deviceTarget!));
    await ctx.finish(async (tx) => {
      await lockVolume(tx, vol.id);
      const ready = await transitionVolume(tx, vol.id, { from: "detaching", to: "ready", set: { instanceId: null, deviceTarget: null } });
      if (!ready) return { state: "changed meanwhile" };
      await recordVolumeEvent(tx, ready, "VOLUME.DETACHED", `${vol.name} is detached from ${vm.name}`);
      return { state: "ready" };
    });
  },
  async onFailure(tx, job, err) {
    const vol = await lockVolume(tx, job.resourceId);
    await transitionVolume(tx, vol.id, { from: "detaching", to: "ready" });
    await recordVolumeEvent(tx, vol, "VOLUME.DETACH.FAILED", `${vol.name} could not be detached: ${err.message}`, { level: "error" });
  },
});

const resize = defineJob({
  type: "volume.resize",
  input: resizeInput,
  async run(ctx) {
    const { vol, host, ref, driver } = await volumeJobTarget(ctx.db, ctx.job.resourceId);
    const { toGib } = ctx.input;
    const vm = vol.instanceId ? await loadInstance(ctx.db, vol.instanceId) : null;
    // Online (blockresize) while the VM runs; offline otherwise.
    const running = vm?.state === "running" ? vmInternalName(vm) : undefined;
    await ctx.progress(30, running ? `Growing the volume online in ${vm!.name}` : "Growing the volume");
    await ctx.step("resize", () => driver.resizeVolume(host, ref, toGib, running));
    await ctx.finish(async (tx) => {
      await lockVolume(tx, vol.id);
      const ready = await transitionVolume(tx, vol.id, { from: "resizing", to: "ready" });
      if (!ready) return { state: "changed meanwhile" };
      await recordVolumeEvent(tx, ready, "VOLUME.RESIZED", `${vol.name} is now ${toGib} GiB`);
      return { state: "ready", sizeGib: toGib };
    });
  },
  async onFailure(tx, job, err, input) {
    const vol = await lockVolume(tx, job.resourceId);
    if (!input) {
      // Without the sizes nothing can be given back truthfully: Error says the volume needs a look.
      await transitionVolume(tx, vol.id, { from: "resizing", to: "error" });
      await recordVolumeEvent(tx, vol, "VOLUME.RESIZE.FAILED", `${vol.name} could not be resized: ${err.message}`, { level: "error" });
      return;
    }
    const { fromGib, toGib } = input;
    // The disk kept its old size: so do the row, the pool, the limits and the usage log.
    const moved = await transitionVolume(tx, vol.id, { from: "resizing", to: "ready", set: { sizeGib: fromGib } });
    if (moved) {
      if (vol.storagePoolId) await releaseFromPool(tx, vol.storagePoolId, toGib - fromGib);
      await recordVolumeUsage(tx, "VOLUME.RESIZE", moved, {
        key: `${job.id}:VOLUME.RESIZE.REVERT`,
        details: { fromGib: toGib, toGib: fromGib, reverted: true },
      });
      await release(tx, vol.accountId, { primary_storage_gib: toGib - fromGib });
    }
    await recordVolumeEvent(tx, vol, "VOLUME.RESIZE.FAILED", `${vol.name} could not be resized: ${err.message}`, { level: "error" });
  },
});

const expunge = defineJob({
  type: "volume.expunge",
  input: expungeInput,
  async run(ctx) {
    const vol = await loadVolume(ctx.db, ctx.job.resourceId);
    if (vol.storagePoolId) {
      const { host, ref } = await volumeTarget(ctx.db, vol);
      await ctx.progress(30, "Deleting the disk");
      await ctx.step("delete", () => driverFor(host).deleteVolume(host, ref));
    }
    await ctx.finish(async (tx) => {
      const current = await lockVolume(tx, vol.id);
      const gone = await transitionVolume(tx, vol.id, {
        from: ["destroyed", "error"],
        to: "expunged",
        set: { removedAt: new Date(), storagePoolId: null },
      });
      if (!gone) return { state: current.state };
      // Its recurring snapshot policies end with it (its snapshots stay until deleted).
      await tx.delete(snapshotPolicies).where(eq(snapshotPolicies.volumeId, vol.id));
      if (current.storagePoolId) await releaseFromPool(tx, current.storagePoolId, current.sizeGib);
      // A volume never destroyed (Error) still counts: given back now, once.
      if (countsAgainstLimits(current)) {
        await recordVolumeUsage(tx, "VOLUME.DELETE", gone, { key: `${ctx.job.id}:VOLUME.DELETE` });
        await release(tx, current.accountId, volumeDeltas(current.sizeGib));
      }
      await recordVolumeEvent(tx, gone, "VOLUME.EXPUNGED", `${vol.name} is expunged`);
      return { state: "expunged" };
    });
  },
  async onFailure(tx, job, err) {
    const vol = await lockVolume(tx, job.resourceId);
    await transitionVolume(tx, vol.id, { from: "destroyed", to: "error" });
    await recordVolumeEvent(tx, vol, "VOLUME.EXPUNGE.FAILED", `${vol.name} could not be expunged: ${err.message}`, { level: "error" });
  },
});

const migrate = defineJob({
  type: "volume.migrate",
  input: migrateInput,
  async run(ctx) {
    const vol = await loadVolume(ctx.db, ctx.job.resourceId);
    const { fromPoolId, toPoolId } = ctx.input;
    const from = await volumeTarget(ctx.db, vol, fromPoolId);
    const to = await loadVolumeRef(ctx.db, vol, toPoolId);
    if (!to) throw new DriverError(`The target pool of volume ${vol.name} is gone`);
    const driver = driverFor(from.host) as ReturnType<typeof driverFor> & Partial<VolumeCopier>;
    if (typeof driver.copyVolume !== "function")
      throw new DriverError(
        `Hosts of type ${from.host.hypervisorType} cannot copy volumes between pools yet; the volume stays where it is`,
      );
    await ctx.step("copy", () => driver.copyVolume!(from.host, from.ref, to), { progress: 60, message: "Copied; switching over" });
    // A data volume of a stopped VM: its definition now names the copy.
    if (vol.instanceId && vol.type === "datadisk" && vol.deviceTarget) {
      const vm = await loadInstance(ctx.db, vol.instanceId);
      await ctx.step("detach-source", () => driver.detachVolume(from.host, vmInternalName(vm), from.ref, vol.deviceTarget!));
      await ctx.step("attach-copy", () => driver.attachVolume(from.host, vmInternalName(vm), to, vol.deviceTarget!));
    }
    await ctx.step("delete-source", () => driver.deleteVolume(from.host, from.ref), { progress: 90, message: "Recording the new pool" });
    await ctx.finish(async (tx) => {
      await lockVolume(tx, vol.id);
      const ready = await transitionVolume(tx, vol.id, { from: "migrating", to: "ready", set: { storagePoolId: toPoolId } });
      if (!ready) return { state: "changed meanwhile" };
      await releaseFromPool(tx, fromPoolId, vol.sizeGib);
      await recordVolumeEvent(tx, ready, "VOLUME.MIGRATED", `${vol.name} moved to another pool`, { details: { fromPoolId, toPoolId } });
      return { state: "ready", storagePoolId: toPoolId };
    });
  },
  async onFailure(tx, job, err, input) {
    const vol = await lockVolume(tx, job.resourceId);
    const moved = await transitionVolume(tx, vol.id, { from: "migrating", to: input ? "ready" : "error" });
    if (moved && input) await releaseFromPool(tx, input.toPoolId, vol.sizeGib);
    await recordVolumeEvent(tx, vol, "VOLUME.MIGRATE.FAILED", `${vol.name} could not be migrated: ${err.message}`, { level: "error" });
  },
});

/** The volume jobs, run by the orchestrator's workers (listed in server/services/background.ts). */
export const volumeJobs = [attach, detach, resize, expunge, migrate];
