import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { type instances, volumes } from "@/db/schema";
import { badRequest } from "./errors";
import { recordEvent } from "./events";
import type { Deltas } from "./limits";
import { recordVolumeUsage } from "./usage";
import { transitionVolume, type Volume } from "./volume-transition";

/**
 * What volumes share between the API, the VM jobs and the volume jobs: their events, what they
 * count against limits, and the ROOT volume's life, which follows its VM (created with the deploy,
 * destroyed, recovered and expunged with it). The lifecycle helpers run inside the VM's own
 * transactions, after the instance row and before hosts, pools and counters (the global lock order).
 */

/** What a volume counts against its owner's limits while it exists (not destroyed). */
export const volumeDeltas = (sizeGib: number, count = 1): Deltas => ({ volumes: count, primary_storage_gib: sizeGib * count });

/** Whether the volume's limits are still counted: from creation (or recovery) until destroyed. */
export const countsAgainstLimits = (vol: Pick<Volume, "destroyedAt" | "state">) => vol.destroyedAt === null && vol.state !== "expunged";

/** An audit event about a volume, in the transaction of the change it records. */
export function recordVolumeEvent(
  tx: DbOrTx,
  vol: Pick<Volume, "id" | "accountId" | "domainId" | "domainPath">,
  type: string,
  description: string,
  opts: { actor?: string | null; level?: "info" | "warn" | "error"; details?: Record<string, unknown> } = {},
) {
  return recordEvent(tx, {
    type,
    description,
    level: opts.level,
    actorUserId: opts.actor ?? null,
    accountId: vol.accountId,
    domainId: vol.domainId,
    domainPath: vol.domainPath,
    resourceType: "volume",
    resourceId: vol.id,
    details: opts.details,
  });
}

type Vm = Pick<typeof instances.$inferSelect, "id" | "name" | "accountId" | "domainId" | "domainPath" | "zoneId">;

/** The root disk's size: the template's, or more when the tenant asks (never less: the image would not fit). */
export function rootDiskSize(template: { name: string; sizeGib: number }, asked: number | undefined): number {
  if (asked === undefined) return template.sizeGib;
  if (asked < template.sizeGib)
    throw badRequest(`The root disk must be at least the ${template.sizeGib} GiB of template ${template.name}`, "rootDiskGib");
  return asked;
}

/** Inserts a VM's ROOT volume (Creating, device vda) at deploy, with its VOLUME.CREATE fact. */
export async function insertRootVolume(tx: DbOrTx, vm: Vm, sizeGib: number): Promise<Volume> {
  const [vol] = await tx
    .insert(volumes)
    .values({
      name: `${vm.name}-root`,
      type: "root",
      accountId: vm.accountId,
      domainId: vm.domainId,
      domainPath: vm.domainPath,
      zoneId: vm.zoneId,
      sizeGib,
      instanceId: vm.id,
      deviceTarget: "vda",
      state: "creating",
    })
    .returning();
  await recordVolumeUsage(tx, "VOLUME.CREATE", vol!);
  return vol!;
}

export async function rootVolumeOf(db: DbOrTx, vmId: string): Promise<Volume | null> {
  const [vol] = await db
    .select()
    .from(volumes)
    .where(and(eq(volumes.instanceId, vmId), eq(volumes.type, "root")));
  return vol ?? null;
}

/** The data volumes plugged into a VM (defined with its domain whenever it is defined). */
export async function attachedDataVolumes(db: DbOrTx, vmId: string): Promise<Volume[]> {
  return db
    .select()
    .from(volumes)
    .where(
      and(
        eq(volumes.instanceId, vmId),
        eq(volumes.type, "datadisk"),
        inArray(volumes.state, ["ready", "resizing", "detaching", "migrating", "reverting"]),
      ),
    )
    .orderBy(volumes.deviceTarget);
}

/**
 * A data volume asked for with the deploy (the wizard's optional data disk): Attaching at vdb from the
 * start, made and defined with the domain by the deploy job.
 */
export async function insertDeployDataVolume(tx: DbOrTx, vm: Vm, disk: { diskOfferingId: string; sizeGib: number }): Promise<Volume> {
  const [vol] = await tx
    .insert(volumes)
    .values({
      name: `${vm.name}-data`,
      type: "datadisk",
      accountId: vm.accountId,
      domainId: vm.domainId,
      domainPath: vm.domainPath,
      zoneId: vm.zoneId,
      diskOfferingId: disk.diskOfferingId,
      sizeGib: disk.sizeGib,
      instanceId: vm.id,
      deviceTarget: "vdb",
      state: "attaching",
    })
    .returning();
  await recordVolumeUsage(tx, "VOLUME.CREATE", vol!);
  return vol!;
}

/** The data volumes a deploy is making (Attaching with a VM that is being deployed). */
export async function deployDataVolumes(db: DbOrTx, vmId: string): Promise<Volume[]> {
  return db
    .select()
    .from(volumes)
    .where(and(eq(volumes.instanceId, vmId), eq(volumes.type, "datadisk"), eq(volumes.state, "attaching")));
}

/**
 * The deploy's disks were made: the ROOT volume Creating → Ready and its data volume Attaching →
 * Ready; when the deploy failed, Error (a data volume also detached, so it can be destroyed).
 */
export async function settleDeployVolumes(tx: DbOrTx, vmId: string, ok: boolean) {
  const vol = await rootVolumeOf(tx, vmId);
  if (!vol || vol.state !== "creating") return;
  for (const d of await deployDataVolumes(tx, vmId))
    await transitionVolume(tx, d.id, {
      from: "attaching",
      to: ok ? "ready" : "error",
      set: ok ? {} : { instanceId: null, deviceTarget: null },
    });
  await transitionVolume(tx, vol.id, { from: "creating", to: ok ? "ready" : "error" });
}

/**
 * With the VM's destroy: Destroyed. Returns the limits to give back (once: only while it still
 * counted), for the caller to release after the host: counters come last in the lock order.
 */
export async function destroyRootVolume(tx: DbOrTx, vmId: string, expungeAfter: Date, key: string): Promise<Deltas | null> {
  const vol = await rootVolumeOf(tx, vmId);
  if (!vol || !countsAgainstLimits(vol)) return null;
  const moved = await transitionVolume(tx, vol.id, {
    from: ["ready", "creating", "error"],
    to: "destroyed",
    set: { destroyedAt: new Date(), expungeAfter },
  });
  if (!moved) return null;
  await recordVolumeUsage(tx, "VOLUME.DELETE", moved, { key: `${key}:VOLUME.DELETE` });
  return volumeDeltas(vol.sizeGib);
}

/**
 * With the VM's recover: Ready again. Returns what it counts against the limits again, for the
 * caller to consume with the VM's own in one call (one lock order; the limits may refuse, rolling
 * the recover back).
 */
export async function recoverRootVolume(tx: DbOrTx, vmId: string): Promise<Deltas | null> {
  const vol = await rootVolumeOf(tx, vmId);
  if (!vol || vol.state !== "destroyed") return null;
  const moved = await transitionVolume(tx, vol.id, { from: "destroyed", to: "ready", set: { destroyedAt: null, expungeAfter: null } });
  if (!moved) return null;
  await recordVolumeUsage(tx, "VOLUME.CREATE", moved, { details: { recovered: true } });
  return volumeDeltas(vol.sizeGib);
}

/**
 * With the VM's expunge: its ROOT volume Expunged, its data volumes detached (they outlive the VM,
 * as in CloudStack). Returns the pool GiB the root disk held and the limits to give back (if it
 * still counted, as for a VM in Error), for the caller to release in the lock order: volume rows,
 * host, pool, counters.
 */
export async function expungeVmVolumes(
  tx: DbOrTx,
  vm: Vm,
  key: string,
): Promise<{ pool: { poolId: string; gib: number } | null; release: Deltas | null }> {
  const data = await tx
    .update(volumes)
    .set({ instanceId: null, deviceTarget: null })
    .where(and(eq(volumes.instanceId, vm.id), eq(volumes.type, "datadisk")))
    .returning();
  for (const d of data) await recordVolumeEvent(tx, d, "VOLUME.DETACHED", `${d.name} was detached from ${vm.name}, which was expunged`);
  const root = await rootVolumeOf(tx, vm.id);
  if (!root || root.state === "expunged") return { pool: null, release: null };
  const gone = await transitionVolume(tx, root.id, {
    from: root.state,
    to: "expunged",
    set: { removedAt: new Date(), storagePoolId: null },
  });
  if (!gone) return { pool: null, release: null };
  const counted = countsAgainstLimits(root);
  if (counted) await recordVolumeUsage(tx, "VOLUME.DELETE", gone, { key: `${key}:VOLUME.DELETE` });
  return {
    pool: root.storagePoolId ? { poolId: root.storagePoolId, gib: root.sizeGib } : null,
    release: counted ? volumeDeltas(root.sizeGib) : null,
  };
}
