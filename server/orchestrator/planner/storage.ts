import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { hosts, storagePools } from "@/db/schema";
import { ServiceError } from "@/server/core/errors";

export interface VolumePlacement {
  /** The host whose cluster and zone the pool must serve (the VM's host). */
  hostId: string;
  gib: number;
  /** The disk offering's storage tags: a pool must carry all of them. */
  storageTags: readonly string[];
  /** What the refusal names, e.g. "this VM: its root disk" or "volume data-1: it". */
  what: string;
}

/** Pools a host can use: its cluster's or zone-wide ones of the zone, of the pool type its hypervisor needs. */
const servesHost = sql`p.zone_id = h.zone_id and (p.cluster_id = h.cluster_id or p.cluster_id is null)
  and p.type = (case when h.hypervisor_type = 'kvm' then 'local_dir' else 'simulator' end)::storage_pool_type`;
const fits = (gib: number) => sql`p.used_gib + ${gib} <= p.capacity_gib * p.overprovisioning`;
const tagged = (tags: readonly string[]) => (tags.length ? sql`and p.tags @> ${`{${tags.join(",")}}`}::text[]` : sql``);

/**
 * Counts `gib` on one pool if it still has room (capacity × over-provisioning): a conditional
 * update like the host reservation, so a pool's used_gib never passes its limit under any concurrency.
 */
export async function reserveOnPool(db: DbOrTx, poolId: string, gib: number): Promise<boolean> {
  const taken = rowsOf(
    await db.execute(sql`
      update storage_pools p set used_gib = p.used_gib + ${gib}
      where p.id = ${poolId} and p.state = 'enabled' and ${fits(gib)}
      returning p.id`),
  );
  return taken.length > 0;
}

/**
 * The planner for volumes: the first enabled pool serving the host (its cluster's before
 * zone-wide ones, then by name) with the storage tags and room for `gib`, reserved with
 * `reserveOnPool`; a pool that lost the race joins the avoid list and the next is tried. Returns
 * null when no pool serves the host at all (a zone without primary storage counts nothing).
 * Call after host reservations and before the limit counters (the global lock order).
 */
export async function placeVolume(db: DbOrTx, r: VolumePlacement): Promise<string | null> {
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
        select p.id from storage_pools p join hosts h on h.id = ${r.hostId}
        where ${servesHost} and p.state = 'enabled' ${tagged(r.storageTags)} and ${fits(r.gib)} ${notAvoided}
        order by p.cluster_id is null, p.name
        limit 1`),
    )[0];
    if (!pick) break;
    const id = String(pick.id);
    if (await reserveOnPool(db, id, r.gib)) return id;
    avoid.push(id);
  }
  const any = rowsOf(await db.execute(sql`select 1 from storage_pools p join hosts h on h.id = ${r.hostId} where ${servesHost} limit 1`));
  if (any.length === 0) return null;
  const tags = r.storageTags.length ? ` with storage tags ${r.storageTags.join(", ")}` : "";
  throw new ServiceError(
    "PRECONDITION_FAILED",
    `No primary storage has room for ${r.what} needs ${r.gib} GiB and no enabled pool${tags} of the host's cluster or zone has that much free`,
  );
}

/** Gives a volume's GiB back to its pool (expunge, a failed placement, the source of a migration). */
export async function releaseFromPool(db: DbOrTx, poolId: string, gib: number) {
  await db
    .update(storagePools)
    .set({ usedGib: sql`greatest(${storagePools.usedGib} - ${gib}, 0)` })
    .where(eq(storagePools.id, poolId));
}

/** Whether a pool serves the VM's host (its cluster's or zone-wide, the right type), so the VM can use a volume there. */
export async function poolServesHost(tx: DbOrTx, poolId: string, hostId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: storagePools.id })
    .from(storagePools)
    .innerJoin(hosts, eq(hosts.id, hostId))
    .where(
      and(
        eq(storagePools.id, poolId),
        eq(storagePools.zoneId, hosts.zoneId),
        sql`(${storagePools.clusterId} = ${hosts.clusterId} or ${storagePools.clusterId} is null)`,
        sql`${storagePools.type} = (case when ${hosts.hypervisorType} = 'kvm' then 'local_dir' else 'simulator' end)::storage_pool_type`,
      ),
    );
  return rows.length > 0;
}
