import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { instances, volumes } from "@/db/schema";
import { releaseFromPool } from "@/server/orchestrator/planner/storage";
import { moveVolume } from "@/server/orchestrator/volume-state";
import { recordVolumeUsage } from "@/server/usage/recorder";
import { badRequest } from "@/server/services/errors";
import { consume, release } from "@/server/services/limits";
import { countsAgainstLimits, recordVolumeEvent, type Volume, volumeDeltas } from "./access";

/**
 * A VM's ROOT volume follows its VM: created with the deploy, destroyed, recovered and expunged with
 * it. These run inside the VM's own transactions (after the instance row, before hosts, pools and
 * counters: the global lock order), so the VM and its root disk never disagree.
 */

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
        inArray(volumes.state, ["ready", "resizing", "detaching", "migrating"]),
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
    await moveVolume(tx, d.id, ["attaching"], ok ? "ready" : "error", ok ? {} : { instanceId: null, deviceTarget: null });
  await moveVolume(tx, vol.id, ["creating"], ok ? "ready" : "error");
}

/** With the VM's destroy: Destroyed, and its limits given back (once: only while it still counts). */
export async function destroyRootVolume(tx: DbOrTx, vmId: string, expungeAfter: Date, key: string) {
  const vol = await rootVolumeOf(tx, vmId);
  if (!vol || !countsAgainstLimits(vol)) return;
  const moved = await moveVolume(tx, vol.id, ["ready", "creating", "error"], "destroyed", { destroyedAt: new Date(), expungeAfter });
  if (!moved) return;
  await recordVolumeUsage(tx, "VOLUME.DELETE", moved, { key: `${key}:VOLUME.DELETE` });
  await release(tx, vol.accountId, volumeDeltas(vol.sizeGib));
}

/** With the VM's recover: Ready again and counted again (the limits may refuse, rolling the recover back). */
export async function recoverRootVolume(tx: DbOrTx, vmId: string) {
  const vol = await rootVolumeOf(tx, vmId);
  if (!vol || vol.state !== "destroyed") return;
  const moved = await moveVolume(tx, vol.id, ["destroyed"], "ready", { destroyedAt: null, expungeAfter: null });
  if (!moved) return;
  await recordVolumeUsage(tx, "VOLUME.CREATE", moved, { details: { recovered: true } });
  await consume(tx, vol.accountId, volumeDeltas(vol.sizeGib));
}

/**
 * With the VM's expunge: its ROOT volume Expunged (pool GiB given back; limits too if it still
 * counted, as for a VM in Error), and its data volumes detached (they outlive the VM, as in CloudStack).
 */
export async function expungeVmVolumes(tx: DbOrTx, vm: Vm, key: string) {
  // Volume rows before the pool row (the lock order).
  const data = await tx
    .update(volumes)
    .set({ instanceId: null, deviceTarget: null })
    .where(and(eq(volumes.instanceId, vm.id), eq(volumes.type, "datadisk")))
    .returning();
  for (const d of data) await recordVolumeEvent(tx, d, "VOLUME.DETACHED", `${d.name} was detached from ${vm.name}, which was expunged`);
  const root = await rootVolumeOf(tx, vm.id);
  if (root && root.state !== "expunged") {
    const moved = await moveVolume(tx, root.id, [root.state], "expunged", { removedAt: new Date(), storagePoolId: null });
    if (moved) {
      if (root.storagePoolId) await releaseFromPool(tx, root.storagePoolId, root.sizeGib);
      if (countsAgainstLimits(root)) {
        await recordVolumeUsage(tx, "VOLUME.DELETE", moved, { key: `${key}:VOLUME.DELETE` });
        await release(tx, root.accountId, volumeDeltas(root.sizeGib));
      }
    }
  }
}
