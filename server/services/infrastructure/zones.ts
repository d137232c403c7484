import { and, asc, count, eq, getTableColumns, ilike, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { zones } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import type { AllocationState, CreateZoneInput, UpdateZoneInput } from "@/lib/validation/infrastructure";
import { conflict, isUniqueViolation, notFound } from "@/server/core/errors";
import type { PageInput } from "../paging";
import { assertInfra, changes, defined, infraEvent, isFkViolation, joinList, notEmpty, pageJoined, plural } from "./common";

export type Zone = typeof zones.$inferSelect;

/** Counts of what a zone holds, as correlated subqueries on the outer "zones" row. */
const zoneCounts = {
  podCount: sql<number>`(select count(*)::int from "pods" where "pods"."zone_id" = "zones"."id")`.mapWith(Number),
  clusterCount: sql<number>`(select count(*)::int from "clusters" where "clusters"."zone_id" = "zones"."id")`.mapWith(Number),
  hostCount: sql<number>`(select count(*)::int from "hosts" where "hosts"."zone_id" = "zones"."id")`.mapWith(Number),
  storagePoolCount: sql<number>`(select count(*)::int from "storage_pools" where "storage_pools"."zone_id" = "zones"."id")`.mapWith(Number),
  secondaryStoreCount:
    sql<number>`(select count(*)::int from "secondary_stores" where "secondary_stores"."zone_id" = "zones"."id")`.mapWith(Number),
};
const zoneRow = { ...getTableColumns(zones), ...zoneCounts };
export type ZoneRow = Zone & { [K in keyof typeof zoneCounts]: number };

export async function getZone(db: DbOrTx, caller: Caller, id: string): Promise<ZoneRow> {
  assertInfra(caller, "read");
  const [z] = await db.select(zoneRow).from(zones).where(eq(zones.id, id));
  if (!z) throw notFound("Zone");
  return z;
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const zoneSort = {
  name: zones.name,
  state: zones.state,
  allocationAlgorithm: zones.allocationAlgorithm,
  createdAt: zones.createdAt,
  podCount: zoneCounts.podCount,
  clusterCount: zoneCounts.clusterCount,
  hostCount: zoneCounts.hostCount,
};

export async function listZones(db: DbOrTx, caller: Caller, input: PageInput & { state?: AllocationState }) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.state) conds.push(eq(zones.state, input.state));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(zones.name, q), ilike(zones.description, q)));
  }
  const where = and(...conds);
  return pageJoined<ZoneRow>(
    input,
    zoneSort,
    [asc(zones.name)],
    zones.id,
    (order, limit, offset) =>
      db
        .select(zoneRow)
        .from(zones)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () => (await db.select({ n: count() }).from(zones).where(where))[0]?.n ?? 0,
  );
}

export async function createZone(db: Db, caller: Caller, input: CreateZoneInput): Promise<Zone> {
  assertInfra(caller, "manage");
  try {
    return await db.transaction(async (tx) => {
      const [z] = await tx
        .insert(zones)
        .values({ name: input.name, description: input.description || null, allocationAlgorithm: input.allocationAlgorithm })
        .returning();
      await infraEvent(tx, caller, {
        type: "ZONE.CREATE",
        description: `Created zone ${z!.name}`,
        resourceType: "zone",
        resourceId: z!.id,
      });
      return z!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A zone named "${input.name}" already exists`, "name");
    throw e;
  }
}

export async function updateZone(db: Db, caller: Caller, input: UpdateZoneInput): Promise<Zone> {
  assertInfra(caller, "manage");
  const z = await getZone(db, caller, input.id);
  const patch = defined({
    name: input.name,
    description: input.description === undefined ? undefined : input.description || null,
    allocationAlgorithm: input.allocationAlgorithm,
  });
  const diff = changes(z, patch);
  if (Object.keys(diff).length === 0) return z;
  try {
    return await db.transaction(async (tx) => {
      const [updated] = await tx.update(zones).set(patch).where(eq(zones.id, z.id)).returning();
      if (!updated) throw notFound("Zone");
      await infraEvent(tx, caller, {
        type: "ZONE.UPDATE",
        description: patch.name && patch.name !== z.name ? `Updated zone ${z.name} (renamed to ${patch.name})` : `Updated zone ${z.name}`,
        resourceType: "zone",
        resourceId: z.id,
        details: { changes: diff },
      });
      return updated;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A zone named "${input.name}" already exists`, "name");
    throw e;
  }
}

/** Enables or disables a zone: a disabled zone takes no new deployments (existing VMs keep running). */
export async function setZoneState(db: Db, caller: Caller, input: { id: string; state: AllocationState }): Promise<Zone> {
  assertInfra(caller, "manage");
  const z = await getZone(db, caller, input.id);
  if (z.state === input.state) return z;
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(zones).set({ state: input.state }).where(eq(zones.id, z.id)).returning();
    if (!updated) throw notFound("Zone");
    await infraEvent(tx, caller, {
      type: input.state === "enabled" ? "ZONE.ENABLE" : "ZONE.DISABLE",
      description: `${input.state === "enabled" ? "Enabled" : "Disabled"} zone ${z.name}`,
      resourceType: "zone",
      resourceId: z.id,
    });
    return updated;
  });
}

/** Deletes an empty zone; refuses, naming what is left, while it holds pods or storage. */
export async function deleteZone(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const z = await getZone(db, caller, id);
  const blockers = [
    z.podCount ? plural(z.podCount, "pod") : "",
    z.storagePoolCount ? plural(z.storagePoolCount, "primary storage pool") : "",
    z.secondaryStoreCount ? plural(z.secondaryStoreCount, "secondary store") : "",
  ].filter(Boolean);
  if (blockers.length) throw notEmpty(`Zone ${z.name} still has ${joinList(blockers)}; delete them first`);
  try {
    await db.transaction(async (tx) => {
      await tx.delete(zones).where(eq(zones.id, z.id));
      await infraEvent(tx, caller, { type: "ZONE.DELETE", description: `Deleted zone ${z.name}`, resourceType: "zone", resourceId: z.id });
    });
  } catch (e) {
    if (isFkViolation(e))
      throw notEmpty(`Zone ${z.name} is still in use (something was added to it meanwhile); delete what it holds first`);
    throw e;
  }
}

/** Locks a zone row for the rest of the transaction (serialises name checks of its pods). */
export async function lockZone(tx: DbOrTx, id: string): Promise<Zone | undefined> {
  const [z] = await tx.select().from(zones).where(eq(zones.id, id)).for("update");
  return z;
}
