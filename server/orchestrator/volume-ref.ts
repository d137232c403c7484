import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts, instances, storagePools, volumes } from "@/db/schema";
import { hostRefOf } from "./drivers/host-ref";
import type { HostRef, PoolRef, VolumeRef } from "./drivers/types";
import { vmInternalName } from "./vm-name";

type Volume = typeof volumes.$inferSelect;

/**
 * A volume's name on its pool: Stratus-generated, never a user's string. A ROOT volume is named
 * after its VM (`i-12-root`, where the libvirt driver has always kept root disks); a data volume
 * after its own sequence number (`vol-34`).
 */
export function volumeInternalName(vol: Pick<Volume, "type" | "number">, vm?: { number: number } | null): string {
  if (vol.type === "root") {
    if (!vm) throw new Error("A root volume's name needs its VM");
    return `${vmInternalName(vm)}-root`;
  }
  return `vol-${vol.number}`;
}

export const poolRefOf = (p: Pick<typeof storagePools.$inferSelect, "id" | "type" | "path">): PoolRef => ({
  id: p.id,
  type: p.type,
  path: p.path,
});

/** The driver's view of a volume on `poolId` (its own pool by default); null when it has no pool. */
export async function loadVolumeRef(db: DbOrTx, vol: Volume, poolId: string | null = vol.storagePoolId): Promise<VolumeRef | null> {
  if (!poolId) return null;
  const [pool] = await db.select().from(storagePools).where(eq(storagePools.id, poolId));
  if (!pool) return null;
  const vm = vol.instanceId
    ? ((await db.select({ number: instances.number }).from(instances).where(eq(instances.id, vol.instanceId)))[0] ?? null)
    : null;
  return { pool: poolRefOf(pool), name: volumeInternalName(vol, vm) };
}

/**
 * The host that works on a volume: the attached VM's host (or last host), else an up host that
 * the pool serves (its cluster's, or any of the zone for a zone-wide pool).
 */
export async function hostForVolume(db: DbOrTx, vol: Volume, poolId: string | null = vol.storagePoolId): Promise<HostRef | null> {
  if (vol.instanceId) {
    const [vm] = await db
      .select({ hostId: instances.hostId, lastHostId: instances.lastHostId })
      .from(instances)
      .where(eq(instances.id, vol.instanceId));
    const id = vm?.hostId ?? vm?.lastHostId;
    if (id) {
      const [h] = await db.select().from(hosts).where(eq(hosts.id, id));
      if (h) return hostRefOf(h);
    }
  }
  if (!poolId) return null;
  const [pool] = await db.select().from(storagePools).where(eq(storagePools.id, poolId));
  if (!pool) return null;
  const [h] = await db
    .select()
    .from(hosts)
    .where(
      and(
        eq(hosts.zoneId, pool.zoneId),
        pool.clusterId ? eq(hosts.clusterId, pool.clusterId) : undefined,
        eq(hosts.hypervisorType, pool.type === "local_dir" ? "kvm" : "simulator"),
        eq(hosts.status, "up"),
      ),
    )
    .orderBy(hosts.name)
    .limit(1);
  return h ? hostRefOf(h) : null;
}
