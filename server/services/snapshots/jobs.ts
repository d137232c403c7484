import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "@/db";
import { instances, snapshots, volumes } from "@/db/schema";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { DriverError, type SnapshotFile } from "@/server/orchestrator/drivers/types";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { release } from "@/server/core/limits";
import { recordSnapshotUsage } from "@/server/core/usage";
import { transitionSnapshot } from "@/server/core/snapshot-transition";
import { transitionVolume } from "@/server/core/volume-transition";
import { recordVolumeEvent } from "@/server/core/volumes";
import { volumeJobTarget } from "@/server/services/volumes/job-target";
import { hostForSnapshot, snapshotFileOf, snapshotStoreFor, storedGib } from "./files";

/** Snapshot jobs run on the volume (resource "volume"), so one volume has one job at a time; the input names the snapshot. */
const snapshotInput = z.object({ snapshotId: z.string().uuid() });

declare global {
  interface StratusJobInputs {
    "snapshot.take": typeof snapshotInput;
    "snapshot.revert": typeof snapshotInput;
    "snapshot.delete": typeof snapshotInput;
  }
}

/** A full snapshot every this many (the rest are increments on the previous one, where the driver can). */
export const FULL_SNAPSHOT_EVERY = 8;

type Snapshot = typeof snapshots.$inferSelect;

async function loadSnapshot(db: Db | Tx, id: string, lock = false): Promise<Snapshot> {
  const q = db.select().from(snapshots).where(eq(snapshots.id, id));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw new Error(`Snapshot ${id} no longer exists`);
  return row;
}

async function loadVolume(db: Db, id: string) {
  const [vol] = await db.select().from(volumes).where(eq(volumes.id, id));
  if (!vol) throw new Error(`Volume ${id} no longer exists`);
  return vol;
}

async function vmNameOf(db: Db, instanceId: string | null): Promise<string | undefined> {
  if (!instanceId) return undefined;
  const [vm] = await db.select().from(instances).where(eq(instances.id, instanceId));
  return vm ? vmInternalName(vm) : undefined;
}

const fileOf = snapshotFileOf;

/** The volume's Ready snapshots, newest first. */
const readyOf = (db: Db | Tx, volumeId: string) =>
  db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.volumeId, volumeId), eq(snapshots.state, "ready")))
    .orderBy(desc(snapshots.createdAt), desc(snapshots.id));

const take = defineJob({
  type: "snapshot.take",
  input: snapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.snapshotId);
    const { vol, host, ref, driver } = await volumeJobTarget(ctx.db, snap.volumeId);
    const store = await snapshotStoreFor(ctx.db, vol.zoneId, host);
    if (!store) throw new DriverError(`Zone of volume ${vol.name} has no secondary store its host can keep snapshots on`);
    const ready = (await readyOf(ctx.db, vol.id)).filter((s) => s.id !== snap.id && s.file);
    const previous = ready[0] ?? null;
    const sinceFull = ready.findIndex((s) => s.full);
    const full = !previous || sinceFull < 0 || sinceFull + 1 >= FULL_SNAPSHOT_EVERY;
    await ctx.progress(20, "Copying the volume's changed blocks to the secondary store");
    const made = await driver.takeSnapshot(host, ref, {
      id: snap.id,
      dir: `${store.path.replace(/\/+$/, "")}/snapshots/${vol.id}`,
      previous: previous ? fileOf(previous) : null,
      full,
      vmName: await vmNameOf(ctx.db, vol.instanceId),
    });
    await ctx.finish(async (tx) => {
      const done = await transitionSnapshot(tx, snap.id, {
        from: "creating",
        to: "ready",
        set: {
          file: made.file,
          parentFile: made.parentFile,
          parentId: made.kind === "incremental" ? (previous?.id ?? null) : null,
          full: made.kind === "full",
          sizeBytes: made.bytes,
          capacityBytes: made.capacityBytes,
          countedGib: storedGib(made.bytes),
        },
      });
      if (!done) return { state: "changed meanwhile" };
      // The volume's size was counted while it was taken; its stored GiB count from now on.
      await release(tx, snap.accountId, { secondary_storage_gib: snap.countedGib - done.countedGib });
      await recordSnapshotUsage(tx, "SNAPSHOT.CREATE", done, { key: `${ctx.job.id}:SNAPSHOT.CREATE` });
      await recordVolumeEvent(tx, vol, "SNAPSHOT.CREATED", `Snapshot ${done.name} of ${vol.name} is ready (${made.kind})`);
      return { state: "ready", snapshotId: done.id, kind: made.kind, bytes: made.bytes };
    });
  },
  async onFailure(tx, job, err) {
    const { snapshotId } = snapshotInput.parse(job.input);
    const snap = await loadSnapshot(tx, snapshotId, true);
    const failed = await transitionSnapshot(tx, snap.id, { from: "creating", to: "error", set: { error: err.message, countedGib: 0 } });
    // What the request counted is given back: an Error snapshot holds nothing.
    if (failed) await release(tx, snap.accountId, { snapshots: 1, secondary_storage_gib: snap.countedGib });
  },
});

const revert = defineJob({
  type: "snapshot.revert",
  input: snapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.snapshotId);
    const { vol, host, ref, driver } = await volumeJobTarget(ctx.db, snap.volumeId);
    await ctx.progress(20, "Rebuilding the volume from the snapshot");
    const vmName = await vmNameOf(ctx.db, vol.instanceId);
    await ctx.step("restore", () => driver.restoreSnapshot(host, ref, fileOf(snap), { vmName }).then(() => undefined));
    await ctx.finish(async (tx) => {
      const ready = await transitionVolume(tx, vol.id, { from: "reverting", to: "ready" });
      if (!ready) return { state: "changed meanwhile" };
      await recordVolumeEvent(tx, ready, "SNAPSHOT.REVERTED", `${vol.name} is reverted to snapshot ${snap.name}`);
      return { state: "ready" };
    });
  },
  async onFailure(tx, job, err) {
    const { snapshotId } = snapshotInput.parse(job.input);
    const snap = await loadSnapshot(tx, snapshotId);
    // A restore that failed midway may have left the disk half-written: Error says so.
    const vol = await transitionVolume(tx, snap.volumeId, { from: "reverting", to: "error" });
    if (vol)
      await recordVolumeEvent(tx, vol, "SNAPSHOT.REVERT.FAILED", `${vol.name} could not be reverted: ${err.message}`, { level: "error" });
  },
});

const remove = defineJob({
  type: "snapshot.delete",
  input: snapshotInput,
  async run(ctx) {
    const snap = await loadSnapshot(ctx.db, ctx.input.snapshotId);
    const vol = await loadVolume(ctx.db, snap.volumeId);
    let merged: SnapshotFile[] = [];
    if (snap.file) {
      // Not the volume's pool: the snapshot outlives its volume (hostForSnapshot finds a host after an expunge).
      const host = await hostForSnapshot(ctx.db, snap);
      const children = await ctx.db
        .select()
        .from(snapshots)
        .where(and(eq(snapshots.parentId, snap.id), inArray(snapshots.state, ["ready", "creating"])));
      await ctx.progress(30, children.length ? "Merging the snapshot into the next one" : "Deleting the snapshot's file");
      merged = await driverFor(host).deleteSnapshot(host, fileOf(snap), children.map(fileOf));
    }
    await ctx.finish(async (tx) => {
      const current = await loadSnapshot(tx, snap.id, true);
      // Increments that took the deleted snapshot's clusters in grow: their GiB count from now on.
      let grown = 0;
      for (const c of merged) {
        const [before] = await tx.select({ countedGib: snapshots.countedGib }).from(snapshots).where(eq(snapshots.id, c.id));
        const [after] = await tx
          .update(snapshots)
          .set({
            parentFile: c.parentFile,
            parentId: c.kind === "full" ? null : snap.parentId,
            full: c.kind === "full",
            sizeBytes: c.bytes,
            countedGib: storedGib(c.bytes),
          })
          .where(eq(snapshots.id, c.id))
          .returning();
        if (before && after) grown += after.countedGib - before.countedGib;
      }
      const gone = await transitionSnapshot(tx, snap.id, { from: ["ready", "error"], to: "destroyed", set: { file: null, countedGib: 0 } });
      if (!gone) return { state: "destroyed" };
      // Only a Ready snapshot still counts (an Error one gave its count back when it failed). One
      // counter call: the snapshot and its GiB back, less what its increments grew by (a growth
      // of data already kept cannot be refused, so it is counted without the limit check).
      if (current.state === "ready") await recordSnapshotUsage(tx, "SNAPSHOT.DELETE", current, { key: `${ctx.job.id}:SNAPSHOT.DELETE` });
      await release(tx, current.accountId, {
        snapshots: current.state === "ready" ? 1 : 0,
        secondary_storage_gib: current.countedGib - grown,
      });
      await recordVolumeEvent(tx, vol, "SNAPSHOT.DELETED", `Snapshot ${snap.name} of ${vol.name} is deleted`);
      return { state: "destroyed" };
    });
  },
});

export const snapshotJobs = [take, revert, remove];
