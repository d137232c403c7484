import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts, jobs, secondaryStores, snapshots, volumes } from "@/db/schema";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { DriverError, type HostRef, type SnapshotFile } from "@/server/orchestrator/drivers/types";
import { hostForVolume } from "@/server/orchestrator/volume-ref";

type Snapshot = typeof snapshots.$inferSelect;

/** Whole GiB a snapshot's stored bytes count against `secondary_storage_gib` (rounded up; at least 1). */
export const storedGib = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024 ** 3));

/**
 * Whether a host of this kind can keep files on the store: libvirt hosts write to an absolute
 * directory (the store mounted on the host), the simulator to its own `sim://` stores.
 */
export const storeServes = (hypervisorType: HostRef["hypervisorType"], storePath: string) =>
  hypervisorType === "kvm" ? storePath.startsWith("/") : storePath.startsWith("sim://");

/** The zone's oldest secondary store that the host's kind can write snapshots to; null if none. */
export async function snapshotStoreFor(db: DbOrTx, zoneId: string, host: HostRef) {
  const stores = await db.select().from(secondaryStores).where(eq(secondaryStores.zoneId, zoneId)).orderBy(asc(secondaryStores.createdAt));
  return stores.find((s) => storeServes(host.hypervisorType, s.path)) ?? null;
}

/** The driver's view of a recorded snapshot. */
export const snapshotFileOf = (s: Snapshot): SnapshotFile => ({
  id: s.id,
  file: s.file!,
  kind: s.full ? "full" : "incremental",
  parentFile: s.parentFile,
  bytes: Number(s.sizeBytes ?? 0),
  capacityBytes: Number(s.capacityBytes ?? 0),
});

/**
 * A host whose driver works on a snapshot's files: its volume's host while the volume has a pool,
 * else (the volume expunged) an up host of the snapshot's zone of the kind that made it — libvirt
 * keeps snapshots as `.qcow2` files on the secondary store, the simulator as labels.
 */
export async function hostForSnapshot(db: DbOrTx, snap: Snapshot): Promise<HostRef> {
  const [vol] = await db.select().from(volumes).where(eq(volumes.id, snap.volumeId));
  const own = vol?.storagePoolId ? await hostForVolume(db, vol) : null;
  if (own) return own;
  const kind = snap.file?.endsWith(".qcow2") ? "kvm" : "simulator";
  const [h] = await db
    .select()
    .from(hosts)
    .where(and(eq(hosts.zoneId, snap.zoneId), eq(hosts.hypervisorType, kind), eq(hosts.status, "up")))
    .orderBy(asc(hosts.name))
    .limit(1);
  if (!h) throw new DriverError(`No host that is up in the zone of snapshot ${snap.name} can work on it; bring one up and retry`, true);
  return hostRefOf(h);
}

/** A queued or running job that reads the snapshot (a volume or template being made from it), if any. */
export async function jobUsingSnapshot(db: DbOrTx, snapshotId: string) {
  const [busy] = await db
    .select({ type: jobs.type })
    .from(jobs)
    .where(and(inArray(jobs.status, ["queued", "running"]), sql`${jobs.input}->>'snapshotId' = ${snapshotId}`))
    .limit(1);
  return busy ?? null;
}
