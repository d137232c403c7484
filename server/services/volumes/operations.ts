import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db";
import { clusters, diskOfferings, hosts, instances, jobs, storagePools, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import type { CreateVolumeInput } from "@/lib/validation/volumes";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { enqueueJob, type JobTarget, recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { placeVolume, poolServesHost, reserveOnPool } from "@/server/orchestrator/planner/storage";
import { type VolumeOperation, volumeOperationAllowed, type VolumeState } from "@/lib/volume-state";
import { recordVolumeUsage } from "@/server/core/usage";
import { badRequest, conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { accountOwner, consume, release } from "@/server/core/limits";
import { retryOnDeadlock } from "@/server/core/retry";
import { transitionVolume, type VolumeTransition } from "@/server/core/volume-transition";
import { countsAgainstLimits, recordVolumeEvent, volumeDeltas } from "@/server/core/volumes";
import { usableDiskOffering } from "@/server/services/offerings/disk";
import { enabledZone, getInstanceInScope, type Instance } from "@/server/services/instances/access";
import { lockInState } from "@/server/services/instances/operations";
import { refuseWhileVmSnapshots } from "@/server/core/vm-snapshots";
import { getVolumeInScope, sizeFromOffering, type Volume } from "./access";

/** A mutation's transaction, run again if PostgreSQL chose it as a deadlock or serialization victim. */
const mutate = <T>(db: Db, fn: (tx: Tx) => Promise<T>) => retryOnDeadlock(() => db.transaction(fn));

/** What a job about a volume acts on, asked for by `userId` (null: the system, e.g. the expunge sweep). */
const jobFor = (vol: Volume, userId: string | null): JobTarget => ({
  resourceType: "volume",
  resourceId: vol.id,
  accountId: vol.accountId,
  domainPath: vol.domainPath,
  userId,
});

/** A guarded state change requested by the API: a concurrent change is a conflict to report. */
async function move(tx: Tx, vol: Volume, t: VolumeTransition): Promise<Volume> {
  const moved = await transitionVolume(tx, vol.id, t);
  if (!moved) throw changedMeanwhile(vol);
  return moved;
}

const changedMeanwhile = (vol: Volume) => conflict(`Volume ${vol.name} changed state meanwhile; reload and try again`);

const verbs: Record<VolumeOperation, string> = {
  attach: "attach",
  detach: "detach",
  resize: "resize",
  destroy: "destroy",
  recover: "recover",
  expunge: "expunge",
  migrate: "migrate",
};

function requireOperation(vol: Volume, op: VolumeOperation) {
  if (vol.type === "root" && op !== "resize" && op !== "migrate")
    throw badRequest(`Volume ${vol.name} is the root disk of its instance: it is ${op}ed with the instance`, "id");
  if (!volumeOperationAllowed(op, vol.state)) throw conflict(`Cannot ${verbs[op]} volume ${vol.name} while it is ${vol.state}`);
}

/**
 * The volume's row, locked, still in the state the caller read (or a conflict). Volume rows come
 * after instance rows and before hosts, pools, counters and jobs in the global lock order.
 */
async function lockVolume(tx: Tx, vol: Volume): Promise<Volume> {
  const [row] = await tx
    .select()
    .from(volumes)
    .where(and(eq(volumes.id, vol.id), eq(volumes.state, vol.state)))
    .for("update");
  if (!row) throw changedMeanwhile(vol);
  return row;
}

async function instanceRow(tx: Db | Tx, id: string): Promise<Instance> {
  const [vm] = await tx.select().from(instances).where(eq(instances.id, id));
  if (!vm) throw notFound("Instance");
  return vm;
}

/** The first free guest device for a data volume (vdb…vdz): vda is the root disk. */
async function freeTarget(tx: Tx, vm: Instance): Promise<string> {
  const used = new Set(
    (
      await tx
        .select({ t: volumes.deviceTarget })
        .from(volumes)
        .where(and(eq(volumes.instanceId, vm.id), ne(volumes.state, "expunged")))
    ).map((r) => r.t),
  );
  for (let c = "b".charCodeAt(0); c <= "z".charCodeAt(0); c++) {
    const t = `vd${String.fromCharCode(c)}`;
    if (!used.has(t)) return t;
  }
  throw badRequest(`Instance ${vm.name} has no free disk slot left (vdb to vdz are taken)`, "instanceId");
}

/**
 * Starts attaching `vol` to the (locked) VM inside `tx`: a device target, a pool when the volume has
 * none yet (the planner's choice among the pools the VM's host reaches), Attaching, and the job.
 */
async function beginAttach(tx: Tx, caller: Caller, vm: Instance, vol: Volume) {
  if (vm.state !== "running" && vm.state !== "stopped")
    throw conflict(`Volumes can be attached to a running or stopped instance; ${vm.name} is ${vm.state}`, "instanceId");
  if (vm.accountId !== vol.accountId)
    throw badRequest(`Volume ${vol.name} and instance ${vm.name} belong to different accounts`, "instanceId");
  if (vm.zoneId !== vol.zoneId) throw badRequest(`Volume ${vol.name} and instance ${vm.name} are in different zones`, "instanceId");
  const hostId = vm.hostId ?? vm.lastHostId;
  if (!hostId) throw conflict(`Instance ${vm.name} has never run on a host; start it before attaching volumes`, "instanceId");
  const target = await freeTarget(tx, vm);
  let poolId = vol.storagePoolId;
  if (poolId) {
    if (!(await poolServesHost(tx, poolId, hostId)))
      throw badRequest(
        `Volume ${vol.name} lies on a pool the host of ${vm.name} cannot reach; ask an administrator to migrate it`,
        "instanceId",
      );
  }
  try {
    const moved = await move(tx, vol, { from: vol.state, to: "attaching", set: { instanceId: vm.id, deviceTarget: target } });
    if (!poolId) {
      const [o] = vol.diskOfferingId
        ? await tx.select({ tags: diskOfferings.storageTags }).from(diskOfferings).where(eq(diskOfferings.id, vol.diskOfferingId))
        : [];
      poolId = await placeVolume(tx, { hostId, gib: vol.sizeGib, storageTags: o?.tags ?? [], what: `volume ${vol.name}: it` });
      if (!poolId)
        throw new ServiceError(
          "PRECONDITION_FAILED",
          `No primary storage serves the host of ${vm.name}; ask an administrator to add a pool`,
        );
      await tx.update(volumes).set({ storagePoolId: poolId }).where(eq(volumes.id, vol.id));
    }
    await recordVolumeEvent(tx, moved, "VOLUME.ATTACH", `Attaching ${vol.name} to ${vm.name} as ${target}`, { actor: caller.userId });
    const job = await enqueueJob(tx, {
      ...jobFor(moved, caller.userId),
      type: "volume.attach",
      input: { instanceId: vm.id, placed: vol.storagePoolId === null },
    });
    return { id: vol.id, jobId: job.id };
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`Another volume is being attached to ${vm.name} at the same time; try again`, "instanceId");
    throw e;
  }
}

/**
 * Creates a data volume from a disk offering in the caller's account: Allocated (no pool yet, as in
 * CloudStack), or, with `instanceId`, placed on a pool and attached at once. Its limits and its
 * VOLUME.CREATE are counted in the same transaction; a refusal leaves nothing behind.
 */
export async function createVolume(db: Db, caller: Caller, input: CreateVolumeInput) {
  const owner = await accountOwner(db, caller.accountId);
  const zone = await enabledZone(db, input.zoneId);
  const offering = await usableDiskOffering(db, input.diskOfferingId, owner.domainPath);
  const sizeGib = sizeFromOffering(offering, input.sizeGib);
  const vm = input.instanceId ? await getInstanceInScope(db, caller, input.instanceId) : null;
  return mutate(db, async (tx) => {
    const locked = vm ? await lockInState(tx, vm) : null;
    await refuseWhileVmSnapshots(tx, "volumes", locked);
    const [vol] = await tx
      .insert(volumes)
      .values({
        name: input.name,
        type: "datadisk",
        accountId: owner.id,
        domainId: owner.domainId,
        domainPath: owner.domainPath,
        zoneId: zone.id,
        diskOfferingId: offering.id,
        sizeGib,
        state: "allocated",
      })
      .returning();
    await recordVolumeEvent(tx, vol!, "VOLUME.CREATE", `Created volume ${input.name} (${sizeGib} GiB, ${offering.name})`, {
      actor: caller.userId,
    });
    await recordVolumeUsage(tx, "VOLUME.CREATE", vol!);
    const attached = locked ? await beginAttach(tx, caller, locked, vol!) : null;
    // Counters last: they are shared by every creation of the account and domain (the lock order).
    await consume(tx, owner.id, volumeDeltas(sizeGib), { accountName: owner.name, domainPath: owner.domainPath });
    if (attached) return attached;
    return {
      id: vol!.id,
      jobId: (await recordCompletedJob(tx, { ...jobFor(vol!, caller.userId), type: "volume.create", input: { sizeGib } })).id,
    };
  });
}

/** Attach a data volume to a VM of the same account (hot-plugged when it runs). */
export async function attachVolume(db: Db, caller: Caller, input: { id: string; instanceId: string }) {
  const vol = await getVolumeInScope(db, caller, input.id);
  requireOperation(vol, "attach");
  if (vol.instanceId) throw conflict(`Volume ${vol.name} is already attached; detach it first`);
  const vm = await getInstanceInScope(db, caller, input.instanceId);
  return mutate(db, async (tx) => {
    const lockedVm = await lockInState(tx, vm);
    await refuseWhileVmSnapshots(tx, "volumes", lockedVm);
    const lockedVol = await lockVolume(tx, vol);
    return beginAttach(tx, caller, lockedVm, lockedVol);
  });
}

export async function detachVolume(db: Db, caller: Caller, id: string) {
  const vol = await getVolumeInScope(db, caller, id);
  requireOperation(vol, "detach");
  if (!vol.instanceId) throw conflict(`Volume ${vol.name} is not attached to an instance`);
  const vm = await instanceRow(db, vol.instanceId);
  if (!["running", "stopped", "destroyed"].includes(vm.state))
    throw conflict(`Volumes can be detached from a running, stopped or destroyed instance; ${vm.name} is ${vm.state}`);
  return mutate(db, async (tx) => {
    await lockInState(tx, vm);
    await refuseWhileVmSnapshots(tx, "volumes", vm);
    const moved = await move(tx, vol, { from: "ready", to: "detaching", where: eq(volumes.instanceId, vm.id) });
    await recordVolumeEvent(tx, moved, "VOLUME.DETACH", `Detaching ${vol.name} from ${vm.name}`, { actor: caller.userId });
    return {
      id: vol.id,
      jobId: (await enqueueJob(tx, { ...jobFor(moved, caller.userId), type: "volume.detach", input: { instanceId: vm.id } })).id,
    };
  });
}

/**
 * Grow a volume. Shrinking is refused with the reason; a ROOT volume only on a stopped VM. The extra
 * GiB are counted on its pool and against `primary_storage_gib`, with a VOLUME.RESIZE, at once.
 */
export async function resizeVolume(db: Db, caller: Caller, input: { id: string; sizeGib: number }) {
  const vol = await getVolumeInScope(db, caller, input.id);
  requireOperation(vol, "resize");
  const to = input.sizeGib;
  if (to < vol.sizeGib)
    throw badRequest(
      `Volume ${vol.name} is ${vol.sizeGib} GiB and cannot shrink to ${to} GiB: shrinking would cut off data the guest's file system may still use. Choose more than ${vol.sizeGib} GiB, or create a smaller volume and copy the data`,
      "sizeGib",
    );
  if (to === vol.sizeGib) throw badRequest(`Volume ${vol.name} is already ${to} GiB`, "sizeGib");
  if (vol.diskOfferingId) {
    const [o] = await db.select().from(diskOfferings).where(eq(diskOfferings.id, vol.diskOfferingId));
    if (o?.customSize && o.maxGib !== null && to > o.maxGib)
      throw badRequest(`Disk offering ${o.name} allows at most ${o.maxGib} GiB`, "sizeGib");
  }
  const vm = vol.instanceId ? await instanceRow(db, vol.instanceId) : null;
  if (vol.type === "root" && vm && vm.state !== "stopped")
    throw conflict(`Stop instance ${vm.name} before resizing its root volume ${vol.name}`);
  const delta = to - vol.sizeGib;
  return mutate(db, async (tx) => {
    if (vm) await lockInState(tx, vm);
    await refuseWhileVmSnapshots(tx, "volumes", vm);
    const locked = await lockVolume(tx, vol);
    let moved: Volume | null;
    if (locked.state === "allocated") {
      // No pool and no disk yet: only the row changes.
      const rows = await tx
        .update(volumes)
        .set({ sizeGib: to })
        .where(and(eq(volumes.id, vol.id), eq(volumes.state, "allocated")))
        .returning();
      moved = rows[0] ?? null;
    } else {
      moved = await move(tx, vol, { from: "ready", to: "resizing", set: { sizeGib: to } });
      if (moved.storagePoolId && !(await reserveOnPool(tx, moved.storagePoolId, delta)))
        throw new ServiceError("PRECONDITION_FAILED", `The pool of volume ${vol.name} has no room for ${delta} more GiB`, "sizeGib");
    }
    if (!moved) throw changedMeanwhile(vol);
    await recordVolumeEvent(tx, moved, "VOLUME.RESIZE", `Resizing ${vol.name} from ${vol.sizeGib} to ${to} GiB`, { actor: caller.userId });
    await recordVolumeUsage(tx, "VOLUME.RESIZE", moved, { details: { fromGib: vol.sizeGib, toGib: to } });
    await consume(tx, vol.accountId, { primary_storage_gib: delta });
    const job =
      locked.state === "allocated"
        ? await recordCompletedJob(tx, {
            ...jobFor(moved, caller.userId),
            type: "volume.resize",
            input: { fromGib: vol.sizeGib, toGib: to },
          })
        : await enqueueJob(tx, { ...jobFor(moved, caller.userId), type: "volume.resize", input: { fromGib: vol.sizeGib, toGib: to } });
    return { id: vol.id, jobId: job.id };
  });
}

/**
 * Destroy a detached data volume: recoverable until expunged; its limits are given back now.
 * Without a caller (the system: an account's cleanup) the row is given and `actorUserId` asked.
 */
export async function destroyVolume(db: Db, caller: Caller | null, id: string, volRow?: Volume, actorUserId: string | null = null) {
  const vol = volRow ?? (await getVolumeInScope(db, caller!, id));
  const actor = caller?.userId ?? actorUserId;
  requireOperation(vol, "destroy");
  if (vol.instanceId) throw conflict(`Detach volume ${vol.name} before destroying it`);
  const { expungeDelaySeconds } = orchestratorConfig;
  return mutate(db, async (tx) => {
    const locked = await lockVolume(tx, vol);
    const expungeAfter = new Date(Date.now() + expungeDelaySeconds * 1000);
    const moved = await move(tx, vol, {
      from: locked.state,
      to: "destroyed",
      set: { destroyedAt: locked.destroyedAt ?? new Date(), expungeAfter },
    });
    if (countsAgainstLimits(locked)) {
      await recordVolumeUsage(tx, "VOLUME.DELETE", moved);
      await release(tx, vol.accountId, volumeDeltas(vol.sizeGib));
    }
    await recordVolumeEvent(tx, moved, "VOLUME.DESTROY", `Destroyed ${vol.name}; recoverable until ${expungeAfter.toISOString()}`, {
      actor,
    });
    return { id: vol.id, jobId: (await recordCompletedJob(tx, { ...jobFor(moved, actor), type: "volume.destroy" })).id };
  });
}

/** Whether a job is queued or running for the volume (read after the row lock, so it is current). */
async function jobInFlight(tx: Tx, volumeId: string) {
  const rows = await tx
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.resourceId, volumeId), inArray(jobs.status, ["queued", "running"])))
    .limit(1);
  return rows.length > 0;
}

/** Recover a destroyed data volume: counted against the limits again (which may refuse). */
export async function recoverVolume(db: Db, caller: Caller, id: string) {
  const vol = await getVolumeInScope(db, caller, id);
  requireOperation(vol, "recover");
  return mutate(db, async (tx) => {
    await lockVolume(tx, vol);
    if (await jobInFlight(tx, vol.id)) throw conflict(`Volume ${vol.name} is being expunged; it cannot be recovered`);
    const to: VolumeState = vol.storagePoolId ? "ready" : "allocated";
    const moved = await move(tx, vol, { from: "destroyed", to, set: { destroyedAt: null, expungeAfter: null } });
    await recordVolumeUsage(tx, "VOLUME.CREATE", moved, { details: { recovered: true } });
    await consume(tx, vol.accountId, volumeDeltas(vol.sizeGib));
    await recordVolumeEvent(tx, moved, "VOLUME.RECOVER", `Recovered ${vol.name}`, { actor: caller.userId });
    return { id: vol.id, jobId: (await recordCompletedJob(tx, { ...jobFor(moved, caller.userId), type: "volume.recover" })).id };
  });
}

/** Expunge a destroyed (or failed) data volume: its disk is deleted by a job and its pool GiB given back. */
export async function expungeVolume(db: Db, caller: Caller | null, id: string, volRow?: Volume, actorUserId: string | null = null) {
  const vol = volRow ?? (await getVolumeInScope(db, caller!, id));
  requireOperation(vol, "expunge");
  if (vol.instanceId) throw conflict(`Detach volume ${vol.name} before expunging it`);
  const actor = caller?.userId ?? actorUserId;
  return mutate(db, async (tx) => {
    const locked = await lockVolume(tx, vol);
    await recordVolumeEvent(tx, locked, "VOLUME.EXPUNGE", `Expunging ${vol.name}`, { actor });
    const job = await enqueueJob(tx, { ...jobFor(locked, actor), type: "volume.expunge", input: { from: locked.state } });
    return { id: vol.id, jobId: job.id };
  });
}

/** Move a volume to another pool of the same zone that its VM's host can reach (root admin; a VM must be stopped). */
export async function migrateVolume(db: Db, caller: Caller, input: { id: string; storagePoolId: string }) {
  const vol = await getVolumeInScope(db, caller, input.id);
  requireOperation(vol, "migrate");
  const fromPoolId = vol.storagePoolId;
  if (!fromPoolId) throw conflict(`Volume ${vol.name} has no pool yet; attach it first`);
  if (fromPoolId === input.storagePoolId) throw badRequest(`Volume ${vol.name} is already on that pool`, "storagePoolId");
  const [[target], [source]] = await Promise.all([
    db.select().from(storagePools).where(eq(storagePools.id, input.storagePoolId)),
    db.select().from(storagePools).where(eq(storagePools.id, fromPoolId)),
  ]);
  if (!target) throw notFound("Storage pool");
  if (target.zoneId !== vol.zoneId) throw badRequest(`Pool ${target.name} is in another zone`, "storagePoolId");
  if (source && target.type !== source.type) throw badRequest(`Pool ${target.name} is of another type (${target.type})`, "storagePoolId");
  if (target.state !== "enabled") throw badRequest(`Pool ${target.name} is in ${target.state} state`, "storagePoolId");
  if (vol.diskOfferingId) {
    const [o] = await db
      .select({ tags: diskOfferings.storageTags, name: diskOfferings.name })
      .from(diskOfferings)
      .where(eq(diskOfferings.id, vol.diskOfferingId));
    const missing = (o?.tags ?? []).filter((t) => !target.tags.includes(t));
    if (missing.length)
      throw badRequest(`Pool ${target.name} lacks the storage tags ${missing.join(", ")} of offering ${o!.name}`, "storagePoolId");
  }
  const vm = vol.instanceId ? await instanceRow(db, vol.instanceId) : null;
  if (vm && vm.state !== "stopped") throw conflict(`Stop instance ${vm.name} before migrating its volume ${vol.name}`);
  // One host copies the disk: it must reach both pools.
  if (source?.clusterId && target.clusterId && source.clusterId !== target.clusterId)
    throw badRequest(`Pool ${target.name} is in another cluster than pool ${source.name}; no host reaches both`, "storagePoolId");
  if (vm) {
    const hostId = vm.hostId ?? vm.lastHostId;
    const [h] = hostId ? await db.select({ clusterId: hosts.clusterId }).from(hosts).where(eq(hosts.id, hostId)) : [];
    if (h && target.clusterId && target.clusterId !== h.clusterId) {
      const [c] = await db.select({ name: clusters.name }).from(clusters).where(eq(clusters.id, target.clusterId));
      throw badRequest(
        `Pool ${target.name} serves cluster ${c?.name ?? target.clusterId}, which the host of ${vm.name} is not in`,
        "storagePoolId",
      );
    }
  }
  return mutate(db, async (tx) => {
    if (vm) await lockInState(tx, vm);
    // The copy is one flattened file (qemu-img convert): VM snapshots inside the volume would not survive it.
    await refuseWhileVmSnapshots(tx, "volumes", vm);
    await lockVolume(tx, vol);
    const moved = await move(tx, vol, { from: "ready", to: "migrating" });
    if (!(await reserveOnPool(tx, target.id, vol.sizeGib)))
      throw new ServiceError("PRECONDITION_FAILED", `Pool ${target.name} has no room for ${vol.sizeGib} GiB`, "storagePoolId");
    await recordVolumeEvent(tx, moved, "VOLUME.MIGRATE", `Migrating ${vol.name} to pool ${target.name}`, { actor: caller.userId });
    const job = await enqueueJob(tx, {
      ...jobFor(moved, caller.userId),
      type: "volume.migrate",
      input: { fromPoolId, toPoolId: target.id },
    });
    return { id: vol.id, jobId: job.id };
  });
}

/** Used by the expunge scheduler: destroyed data volumes whose delay has passed and that have no job. */
export async function volumesDueForExpunge(db: Db, limit = 100) {
  return db
    .select()
    .from(volumes)
    .where(
      and(
        eq(volumes.state, "destroyed"),
        eq(volumes.type, "datadisk"),
        sql`${volumes.expungeAfter} <= now()`,
        sql`not exists (select 1 from jobs where jobs.resource_id = ${volumes.id} and jobs.status in ('queued', 'running'))`,
      ),
    )
    .limit(limit);
}

/** The volume expunge sweep (handed to the orchestrator by server/services/background.ts). */
export async function expungeDueVolumes(db: Db) {
  for (const vol of await volumesDueForExpunge(db)) await expungeVolume(db, null, vol.id, vol).catch(() => undefined);
}
