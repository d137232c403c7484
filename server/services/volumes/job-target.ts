import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { volumes } from "@/db/schema";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { DriverError, type HostRef, type HypervisorDriver, type VolumeRef } from "@/server/orchestrator/drivers/types";
import { hostForVolume, loadVolumeRef } from "@/server/orchestrator/volume-ref";
import type { Volume } from "@/server/core/volume-transition";

/** The host and the driver's reference for working on the volume (on `poolId`, its own pool by default). */
export async function volumeTarget(
  db: Db,
  vol: Volume,
  poolId: string | null = vol.storagePoolId,
): Promise<{ host: HostRef; ref: VolumeRef }> {
  const ref = await loadVolumeRef(db, vol, poolId);
  if (!ref) throw new DriverError(`Volume ${vol.name} has no storage pool`);
  const host = await hostForVolume(db, vol, poolId);
  if (!host) throw new DriverError(`No host that is up can reach the storage pool of volume ${vol.name}; bring one up and retry`, true);
  return { host, ref };
}

/**
 * The first step of a job that works on a volume's disk (volume and snapshot jobs): the volume
 * read afresh, the host that reaches its pool, the driver's reference, and the driver.
 */
export async function volumeJobTarget(
  db: Db,
  volumeId: string,
): Promise<{ vol: Volume; host: HostRef; ref: VolumeRef; driver: HypervisorDriver }> {
  const [vol] = await db.select().from(volumes).where(eq(volumes.id, volumeId));
  if (!vol) throw new Error(`Volume ${volumeId} no longer exists`);
  const { host, ref } = await volumeTarget(db, vol);
  return { vol, host, ref, driver: driverFor(host) };
}
