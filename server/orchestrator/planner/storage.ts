import { eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { storagePools } from "@/db/schema";
import { ServiceError } from "@/server/core/errors";

/**
 * Counts a root disk of `gib` GiB on a primary storage pool the host can use (its cluster's first,
 * then zone-wide; the pool type of the host's hypervisor), with a conditional update like the
 * host reservation, so a pool's used_gib never exceeds its capacity. Returns the pool's id, or
 * null when the host has no pool at all (nothing to count). Call after the host reservation and
 * before the limit counters (the global lock order: instance, host, pool, counters, job).
 */
export async function reserveRootDisk(db: DbOrTx, hostId: string, gib: number): Promise<string | null> {
  const avoid: string[] = [];
  for (let i = 0; i < 8; i++) {
    const notAvoided = avoid.length
      ? sql`and p.id not in (${sql.join(
          avoid.map((a) => sql`${a}::uuid`),
          sql`, `,
        )})`
      : sql``;
    const pick = rowsOf(
      await db.execute(sql`
        select p.id, p.used_gib + ${gib} <= p.capacity_gib as fits
        from storage_pools p join hosts h on h.id = ${hostId}
        where p.zone_id = h.zone_id and (p.cluster_id = h.cluster_id or p.cluster_id is null) and p.state = 'enabled'
          and p.type = (case when h.hypervisor_type = 'kvm' then 'local_dir' else 'simulator' end)::storage_pool_type
          ${notAvoided}
        order by (p.used_gib + ${gib} <= p.capacity_gib) desc, p.cluster_id is null, p.name
        limit 1`),
    )[0];
    if (!pick) break;
    if (!pick.fits) break;
    const id = String(pick.id);
    const taken = rowsOf(
      await db.execute(sql`
        update storage_pools set used_gib = used_gib + ${gib}
        where id = ${id} and used_gib + ${gib} <= capacity_gib
        returning id`),
    );
    if (taken.length > 0) return id;
    avoid.push(id);
  }
  const any = rowsOf(
    await db.execute(sql`
      select 1 from storage_pools p join hosts h on h.id = ${hostId}
      where p.zone_id = h.zone_id and (p.cluster_id = h.cluster_id or p.cluster_id is null)
        and p.type = (case when h.hypervisor_type = 'kvm' then 'local_dir' else 'simulator' end)::storage_pool_type
      limit 1`),
  );
  if (any.length === 0) return null;
  throw new ServiceError(
    "PRECONDITION_FAILED",
    `No primary storage has room for this VM: its root disk needs ${gib} GiB and no enabled pool of the chosen host's cluster or zone has that much free`,
  );
}

/** Gives a root disk's GiB back to its pool (expunge). */
export async function releaseRootDisk(db: DbOrTx, poolId: string, gib: number) {
  await db
    .update(storagePools)
    .set({ usedGib: sql`greatest(${storagePools.usedGib} - ${gib}, 0)` })
    .where(eq(storagePools.id, poolId));
}
