import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "@/db";
import { snapshots, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { badRequest, conflict, ServiceError } from "@/server/core/errors";
import { accountOwner, consume } from "@/server/core/limits";
import { retryOnDeadlock } from "@/server/core/retry";
import { recordVolumeUsage } from "@/server/core/usage";
import { transitionVolume } from "@/server/core/volume-transition";
import { recordVolumeEvent, volumeDeltas } from "@/server/core/volumes";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { placeVolume } from "@/server/orchestrator/planner/storage";
import type { CreateVolumeFromSnapshotInput } from "@/lib/validation/snapshots";
import { volumeTarget } from "@/server/services/volumes/job-target";
import { hostForSnapshot, snapshotFileOf } from "./files";
import { getSnapshotInScope } from "./operations";

const GIB = 1024 ** 3;
const fromSnapshotInput = z.object({ snapshotId: z.string().uuid() });

declare global {
  interface StratusJobInputs {
    "volume.create-from-snapshot": typeof fromSnapshotInput;
  }
}

/** The smallest volume a snapshot fits in: the size its volume had when it was taken. */
export const snapshotGib = (s: { capacityBytes: number | null }) => Math.max(1, Math.ceil(Number(s.capacityBytes ?? 0) / GIB));

/**
 * A new DATADISK holding a Ready snapshot's data, in the snapshot's zone and account (CloudStack's
 * createVolume with a snapshot id): at least the snapshot's size, placed by the planner on a pool a
 * host of the snapshot's kind reaches, Creating until the job has copied the data. The volume, its
 * pool GiB, its limits (`volumes`, `primary_storage_gib`), VOLUME.CREATE and the job are one transaction.
 */
export async function createVolumeFromSnapshot(db: Db, caller: Caller, input: CreateVolumeFromSnapshotInput) {
  const snap = await getSnapshotInScope(db, caller, input.snapshotId);
  if (snap.state !== "ready") throw conflict(`Snapshot ${snap.name} is ${snap.state}; only a Ready snapshot can be made into a volume`);
  const minGib = snapshotGib(snap);
  const sizeGib = input.sizeGib ?? minGib;
  if (sizeGib < minGib) throw badRequest(`Size must be at least the snapshot's ${minGib} GiB`, "sizeGib");
  const host = await hostForSnapshot(db, snap).catch((e: Error) => {
    throw new ServiceError("PRECONDITION_FAILED", e.message);
  });
  const owner = await accountOwner(db, snap.accountId);
  return retryOnDeadlock(() =>
    db.transaction(async (tx: Tx) => {
      // The snapshot stays Ready until the job is queued: a delete now waits, and one later sees the job (jobUsingSnapshot).
      const [current] = await tx
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(and(eq(snapshots.id, snap.id), eq(snapshots.state, "ready")))
        .for("share");
      if (!current) throw conflict(`Snapshot ${snap.name} changed meanwhile; reload and try again`);
      const [vol] = await tx
        .insert(volumes)
        .values({
          name: input.name,
          type: "datadisk",
          accountId: owner.id,
          domainId: owner.domainId,
          domainPath: owner.domainPath,
          zoneId: snap.zoneId,
          sizeGib,
          state: "creating",
        })
        .returning();
      const poolId = await placeVolume(tx, { hostId: host.id, gib: sizeGib, storageTags: [], what: `volume ${input.name}: it` });
      if (!poolId)
        throw new ServiceError(
          "PRECONDITION_FAILED",
          `No primary storage serves the zone of snapshot ${snap.name}; ask an administrator to add a pool`,
        );
      const [placed] = await tx.update(volumes).set({ storagePoolId: poolId }).where(eq(volumes.id, vol!.id)).returning();
      await recordVolumeEvent(tx, placed!, "VOLUME.CREATE", `Creating volume ${input.name} (${sizeGib} GiB) from snapshot ${snap.name}`, {
        actor: caller.userId,
        details: { snapshotId: snap.id },
      });
      await recordVolumeUsage(tx, "VOLUME.CREATE", placed!);
      // Counters last (the lock order), then the job.
      await consume(tx, owner.id, volumeDeltas(sizeGib), { accountName: owner.name, domainPath: owner.domainPath });
      const job = await enqueueJob(tx, {
        type: "volume.create-from-snapshot",
        resourceType: "volume",
        resourceId: placed!.id,
        accountId: owner.id,
        domainPath: owner.domainPath,
        userId: caller.userId,
        input: { snapshotId: snap.id },
      });
      return { id: placed!.id, jobId: job.id };
    }),
  );
}

/**
 * Copies the snapshot (its chain flattened) into the new volume on its pool, then Creating → Ready.
 * A failure leaves the volume in Error, still counted until it is deleted (which frees its pool GiB).
 */
export const volumeFromSnapshotJob = defineJob({
  type: "volume.create-from-snapshot",
  input: fromSnapshotInput,
  async run(ctx) {
    const [vol] = await ctx.db.select().from(volumes).where(eq(volumes.id, ctx.job.resourceId));
    const [snap] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, ctx.input.snapshotId));
    if (!vol) throw new Error(`Volume ${ctx.job.resourceId} no longer exists`);
    if (!snap?.file || snap.state !== "ready") throw new Error(`Snapshot ${ctx.input.snapshotId} is no longer Ready`);
    const { host, ref } = await volumeTarget(ctx.db, vol);
    await ctx.progress(20, `Copying snapshot ${snap.name} into the new volume`);
    await ctx.step("create", () => driverFor(host).createVolumeFromSnapshot(host, ref, snapshotFileOf(snap), vol.sizeGib), {
      progress: 90,
      message: "Recording the new volume",
    });
    await ctx.finish(async (tx) => {
      const ready = await transitionVolume(tx, vol.id, { from: "creating", to: "ready" });
      if (!ready) return { state: "changed meanwhile" };
      await recordVolumeEvent(tx, ready, "VOLUME.CREATED", `${vol.name} is ready, made from snapshot ${snap.name}`);
      return { state: "ready", snapshotId: snap.id };
    });
  },
  async onFailure(tx, job, err) {
    const vol = await transitionVolume(tx, job.resourceId, { from: "creating", to: "error" });
    if (vol)
      await recordVolumeEvent(tx, vol, "VOLUME.CREATE.FAILED", `${vol.name} could not be made from the snapshot: ${err.message}`, {
        level: "error",
      });
  },
});
