import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { hosts, storagePools } from "@/db/schema";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import type { PoolUsageReader } from "@/server/orchestrator/drivers/types";
import { poolRefOf } from "@/server/orchestrator/volume-ref";

/** An up, enabled host that reaches the pool (its cluster's, or any of the zone's for a zone-wide pool). */
async function hostForPool(db: Db, pool: typeof storagePools.$inferSelect) {
  const [h] = await db
    .select()
    .from(hosts)
    .where(
      and(
        eq(hosts.zoneId, pool.zoneId),
        pool.clusterId ? eq(hosts.clusterId, pool.clusterId) : undefined,
        eq(hosts.status, "up"),
        sql`${hosts.hypervisorType} = (case when ${pool.type} = 'local_dir' then 'kvm' else 'simulator' end)::hypervisor_type`,
      ),
    )
    .orderBy(asc(hosts.name))
    .limit(1);
  return h ?? null;
}

/**
 * Measures what the pools' volumes really take on disk (one driver call per pool, outside any
 * transaction) and stores it on the pool row with the time. `poolId` measures one pool (on demand);
 * a pool no host reaches keeps its last figure. Returns the pools measured.
 */
export async function refreshPoolUsage(db: Db, poolId?: string): Promise<{ id: string; actualBytes: number }[]> {
  const pools = await db
    .select()
    .from(storagePools)
    .where(poolId ? eq(storagePools.id, poolId) : undefined);
  const measured: { id: string; actualBytes: number }[] = [];
  for (const pool of pools) {
    const host = await hostForPool(db, pool);
    if (!host) continue;
    const ref = hostRefOf(host);
    const driver = driverFor(ref) as ReturnType<typeof driverFor> & Partial<PoolUsageReader>;
    if (typeof driver.poolUsage !== "function") continue;
    let usage: { allocationBytes: number };
    try {
      usage = await driver.poolUsage(ref, poolRefOf(pool));
    } catch (e) {
      // On demand the admin hears why; the periodic sweep goes on with the other pools.
      if (poolId) throw e;
      console.error(`[metrics] measuring pool ${pool.name} failed`, e);
      continue;
    }
    await db
      .update(storagePools)
      .set({ actualBytes: usage.allocationBytes, actualBytesAt: new Date() })
      .where(eq(storagePools.id, pool.id));
    measured.push({ id: pool.id, actualBytes: usage.allocationBytes });
  }
  return measured;
}
