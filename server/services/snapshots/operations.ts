import { and, desc, eq, inArray, ne } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { instances, jobs, snapshots, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { snapshotScope } from "@/server/authz/scopes";
import { conflict, notFound } from "@/server/core/errors";
import { consume } from "@/server/core/limits";
import { refuseWhileVmSnapshots } from "@/server/core/vm-snapshots";
import { retryOnDeadlock } from "@/server/core/retry";
import { transitionVolume } from "@/server/core/volume-transition";
import { enqueueJob, type JobTarget } from "@/server/orchestrator/jobs/queue";
import { getVolumeInScope, type Volume } from "@/server/services/volumes/access";
import { jobUsingSnapshot } from "./files";

export type Snapshot = typeof snapshots.$inferSelect;

const mutate = <T>(db: Db, fn: (tx: Tx) => Promise<T>) => retryOnDeadlock(() => db.transaction(fn));

/** Snapshot jobs belong to the volume: one job per volume at a time, shown on its page. */
const jobFor = (vol: Volume, userId: string | null): JobTarget => ({
  resourceType: "volume",
  resourceId: vol.id,
  accountId: vol.accountId,
  domainPath: vol.domainPath,
  userId,
});

/** A snapshot in the caller's scope (not deleted), or NOT_FOUND. */
export async function getSnapshotInScope(db: DbOrTx, caller: Caller, id: string): Promise<Snapshot> {
  const [row] = await db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.id, id), ne(snapshots.state, "destroyed"), snapshotScope(caller)));
  if (!row) throw notFound("Snapshot");
  return row;
}

/**
 * The volume's row locked (after its VM's, before counters and jobs in the lock order), in a state
 * that allows `op`, with no other job working on it: snapshot jobs of one volume never overlap.
 */
async function lockIdleVolume(tx: Tx, vol: Volume, op: "snapshot" | "revert"): Promise<Volume> {
  const [row] = await tx.select().from(volumes).where(eq(volumes.id, vol.id)).for("update");
  if (!row || row.state === "expunged") throw notFound("Volume");
  // A volume is snapshotted or reverted only while Ready: not mid-attach, mid-resize, destroyed…
  if (row.state !== "ready") throw conflict(`Cannot ${op} volume ${row.name} while it is ${row.state}`);
  const [busy] = await tx
    .select({ type: jobs.type })
    .from(jobs)
    .where(and(eq(jobs.resourceId, row.id), inArray(jobs.status, ["queued", "running"])))
    .limit(1);
  if (busy) throw conflict(`Volume ${row.name} is busy (${busy.type}); try again when that job has finished`);
  return row;
}

/** The volume's VM (id and name), for the VM-snapshot rule. */
async function vmOf(tx: Tx, instanceId: string | null) {
  if (!instanceId) return null;
  const [vm] = await tx.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.id, instanceId));
  return vm ?? null;
}

/**
 * Takes a snapshot now: the row in Creating, the `snapshots` and `secondary_storage_gib` limits
 * consumed, and the job, in one transaction.
 */
export async function takeSnapshot(db: Db, caller: Caller, input: { volumeId: string; name?: string }) {
  const vol = await getVolumeInScope(db, caller, input.volumeId);
  return mutate(db, (tx) => beginTake(tx, vol, input, caller.userId));
}

/** Starts a snapshot of `vol` inside `tx` (a request's, or a policy's run): throws, changing nothing, when it cannot. */
export async function beginTake(tx: Tx, vol: Volume, input: { name?: string; policyId?: string }, userId: string | null) {
  const locked = await lockIdleVolume(tx, vol, "snapshot");
  await refuseWhileVmSnapshots(tx, "volumeSnapshot", await vmOf(tx, locked.instanceId), locked.name);
  const name = input.name ?? `${locked.name}-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
  const [snap] = await tx
    .insert(snapshots)
    .values({
      name,
      volumeId: locked.id,
      accountId: locked.accountId,
      domainId: locked.domainId,
      domainPath: locked.domainPath,
      zoneId: locked.zoneId,
      capacityBytes: locked.sizeGib * 1024 ** 3,
      policyId: input.policyId ?? null,
      countedGib: locked.sizeGib,
    })
    .returning();
  // As CloudStack checks: the volume's size against secondary storage while it is taken; the
  // stored bytes replace it when Ready (take job).
  await consume(tx, locked.accountId, { snapshots: 1, secondary_storage_gib: locked.sizeGib });
  const job = await enqueueJob(tx, { ...jobFor(locked, userId), type: "snapshot.take", input: { snapshotId: snap!.id } });
  return { id: snap!.id, name, jobId: job.id };
}

/** Reverts the snapshot's volume to it: the volume's VM (if any) must be stopped; the volume is Reverting until the job ends. */
export async function revertSnapshot(db: Db, caller: Caller, id: string) {
  const snap = await getSnapshotInScope(db, caller, id);
  if (snap.state !== "ready") throw conflict(`Snapshot ${snap.name} is ${snap.state}; only a Ready snapshot can be reverted to`);
  const vol = await getVolumeInScope(db, caller, snap.volumeId);
  return mutate(db, async (tx) => {
    if (vol.instanceId) {
      const [vm] = await tx.select().from(instances).where(eq(instances.id, vol.instanceId)).for("no key update");
      if (vm && vm.state !== "stopped")
        throw conflict(`Stop instance ${vm.name} before reverting volume ${vol.name}: it is ${vm.state}`, "id");
    }
    const locked = await lockIdleVolume(tx, vol, "revert");
    await refuseWhileVmSnapshots(tx, "volumeRevert", await vmOf(tx, locked.instanceId), locked.name);
    const moved = await transitionVolume(tx, locked.id, { from: "ready", to: "reverting" });
    if (!moved) throw conflict(`Volume ${vol.name} changed state meanwhile; reload and try again`);
    const job = await enqueueJob(tx, { ...jobFor(moved, caller.userId), type: "snapshot.revert", input: { snapshotId: snap.id } });
    return { id: snap.id, jobId: job.id };
  });
}

/** Deletes a Ready or Error snapshot (its increments keep working: the driver merges it into them). */
export async function deleteSnapshot(db: Db, caller: Caller | null, id: string, snapRow?: Snapshot) {
  const snap = snapRow ?? (caller ? await getSnapshotInScope(db, caller, id) : null);
  if (!snap) throw notFound("Snapshot");
  if (snap.state === "creating") throw conflict(`Snapshot ${snap.name} is still being taken; delete it once it is Ready`);
  return mutate(db, async (tx) => {
    const [vol] = await tx.select().from(volumes).where(eq(volumes.id, snap.volumeId)).for("update");
    if (!vol) throw notFound("Volume");
    const [busy] = await tx
      .select({ type: jobs.type })
      .from(jobs)
      .where(and(eq(jobs.resourceId, vol.id), inArray(jobs.status, ["queued", "running"])))
      .limit(1);
    if (busy) throw conflict(`Volume ${vol.name} is busy (${busy.type}); try again when that job has finished`);
    const reader = await jobUsingSnapshot(tx, snap.id);
    if (reader) throw conflict(`Snapshot ${snap.name} is being read (${reader.type}); delete it when that job has finished`);
    const [current] = await tx.select().from(snapshots).where(eq(snapshots.id, snap.id)).for("update");
    if (!current || current.state === "destroyed") throw notFound("Snapshot");
    const job = await enqueueJob(tx, { ...jobFor(vol, caller?.userId ?? null), type: "snapshot.delete", input: { snapshotId: snap.id } });
    return { id: snap.id, jobId: job.id };
  });
}

const listColumns = {
  id: snapshots.id,
  name: snapshots.name,
  state: snapshots.state,
  volumeId: snapshots.volumeId,
  volumeName: volumes.name,
  sizeBytes: snapshots.sizeBytes,
  capacityBytes: snapshots.capacityBytes,
  full: snapshots.full,
  policyId: snapshots.policyId,
  error: snapshots.error,
  createdAt: snapshots.createdAt,
};

/** Snapshots in the caller's scope, newest first: of one volume (NOT_FOUND when out of scope), or all. */
export async function listSnapshots(db: Db, caller: Caller, input: { volumeId?: string }) {
  if (input.volumeId) await getVolumeInScope(db, caller, input.volumeId);
  return db
    .select(listColumns)
    .from(snapshots)
    .innerJoin(volumes, eq(volumes.id, snapshots.volumeId))
    .where(
      and(ne(snapshots.state, "destroyed"), snapshotScope(caller), input.volumeId ? eq(snapshots.volumeId, input.volumeId) : undefined),
    )
    .orderBy(desc(snapshots.createdAt), desc(snapshots.id))
    .limit(500);
}
