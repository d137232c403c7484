import { and, asc, count, eq, getTableColumns, ilike, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { clusters, secondaryStores, storagePools, zones } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import {
  type CreateSecondaryStoreInput,
  type CreateStoragePoolInput,
  type HostState,
  storagePathProblem,
  type UpdateSecondaryStoreInput,
  type UpdateStoragePoolInput,
} from "@/lib/validation/infrastructure";
import { badRequest, conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { refreshPoolUsage } from "@/server/orchestrator/metrics/pool-usage";
import type { PageInput } from "../paging";
import { assertInfra, changes, defined, infraEvent, isFkViolation, notEmpty, pageJoined, parentNotFound } from "./common";
import { lockCluster } from "./clusters";
import { lockZone } from "./zones";

export type StoragePool = typeof storagePools.$inferSelect;
export type SecondaryStore = typeof secondaryStores.$inferSelect;

// Primary storage pools

const poolRow = {
  ...getTableColumns(storagePools),
  zoneName: zones.name,
  /** Null for a zone-wide pool. */
  clusterName: clusters.name,
  scope: sql<"zone" | "cluster">`case when ${storagePools.clusterId} is null then 'zone' else 'cluster' end`,
};
export type StoragePoolRow = StoragePool & { zoneName: string; clusterName: string | null; scope: "zone" | "cluster" };

function poolQuery(db: DbOrTx) {
  return db
    .select(poolRow)
    .from(storagePools)
    .innerJoin(zones, eq(zones.id, storagePools.zoneId))
    .leftJoin(clusters, eq(clusters.id, storagePools.clusterId));
}

export async function getStoragePool(db: DbOrTx, caller: Caller, id: string): Promise<StoragePoolRow> {
  assertInfra(caller, "read");
  const [p] = await poolQuery(db).where(eq(storagePools.id, id));
  if (!p) throw notFound("Storage pool");
  return p;
}

/**
 * Measures now what a pool's volumes take on disk (the metrics cycle does it every few minutes) and
 * returns the pool with the figure. A pool no up host reaches cannot be measured: said so.
 */
export async function measureStoragePool(db: Db, caller: Caller, id: string): Promise<StoragePoolRow> {
  assertInfra(caller, "manage");
  const pool = await getStoragePool(db, caller, id);
  let measured: { id: string }[];
  try {
    measured = await refreshPoolUsage(db, pool.id);
  } catch (e) {
    throw new ServiceError("PRECONDITION_FAILED", `Pool ${pool.name} could not be measured: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (measured.length === 0)
    throw new ServiceError("PRECONDITION_FAILED", `No host that is up reaches pool ${pool.name}, so it cannot be measured now`);
  return getStoragePool(db, caller, id);
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const storagePoolSort = {
  name: storagePools.name,
  zoneName: zones.name,
  clusterName: clusters.name,
  type: storagePools.type,
  state: storagePools.state,
  capacityGib: storagePools.capacityGib,
  usedGib: storagePools.usedGib,
  overprovisioning: storagePools.overprovisioning,
  createdAt: storagePools.createdAt,
};

export async function listStoragePools(
  db: DbOrTx,
  caller: Caller,
  input: PageInput & { zoneId?: string; clusterId?: string; scope?: "zone" | "cluster"; state?: HostState },
) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.zoneId) conds.push(eq(storagePools.zoneId, input.zoneId));
  if (input.clusterId) conds.push(eq(storagePools.clusterId, input.clusterId));
  if (input.scope === "zone") conds.push(isNull(storagePools.clusterId));
  if (input.scope === "cluster") conds.push(sql`${storagePools.clusterId} is not null`);
  if (input.state) conds.push(eq(storagePools.state, input.state));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(
      or(
        ilike(storagePools.name, q),
        ilike(storagePools.path, q),
        ilike(zones.name, q),
        ilike(clusters.name, q),
        sql`array_to_string(${storagePools.tags}, ' ') ilike ${q}`,
      ),
    );
  }
  const where = and(...conds);
  return pageJoined<StoragePoolRow>(
    input,
    storagePoolSort,
    [asc(storagePools.name)],
    storagePools.id,
    (order, limit, offset) =>
      poolQuery(db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () =>
      (
        await db
          .select({ n: count() })
          .from(storagePools)
          .innerJoin(zones, eq(zones.id, storagePools.zoneId))
          .leftJoin(clusters, eq(clusters.id, storagePools.clusterId))
          .where(where)
      )[0]?.n ?? 0,
  );
}

export async function createStoragePool(
  db: Db,
  caller: Caller,
  input: Omit<CreateStoragePoolInput, "overprovisioning"> & { overprovisioning?: number },
): Promise<StoragePool> {
  assertInfra(caller, "manage");
  const problem = storagePathProblem(input.type, input.path);
  if (problem) throw badRequest(problem, "path");
  try {
    return await db.transaction(async (tx) => {
      const zone = await lockZone(tx, input.zoneId);
      if (!zone) throw parentNotFound("Zone", "zoneId");
      let clusterName: string | null = null;
      if (input.clusterId) {
        const cluster = await lockCluster(tx, input.clusterId);
        if (!cluster) throw parentNotFound("Cluster", "clusterId");
        if (cluster.zoneId !== zone.id) throw badRequest(`Cluster ${cluster.name} is not in zone ${zone.name}`, "clusterId");
        clusterName = cluster.name;
      }
      const [p] = await tx
        .insert(storagePools)
        .values({
          zoneId: zone.id,
          clusterId: input.clusterId ?? null,
          name: input.name,
          type: input.type,
          path: input.path,
          capacityGib: input.capacityGib,
          overprovisioning: input.overprovisioning ?? 1,
          tags: input.tags,
        })
        .returning();
      await infraEvent(tx, caller, {
        type: "STORAGE_POOL.CREATE",
        description: `Added primary storage pool ${p!.name} (${input.capacityGib} GiB) to ${clusterName ? `cluster ${clusterName}` : `zone ${zone.name} (zone-wide)`}`,
        resourceType: "storage_pool",
        resourceId: p!.id,
        details: { type: input.type, path: input.path, tags: input.tags },
      });
      return p!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A storage pool named "${input.name}" already exists`, "name");
    throw e;
  }
}

/** Edits a pool; capacity may shrink only down to what volumes use (checked in the update itself). */
export async function updateStoragePool(db: Db, caller: Caller, input: UpdateStoragePoolInput): Promise<StoragePool> {
  assertInfra(caller, "manage");
  const p = await getStoragePool(db, caller, input.id);
  const patch = defined({
    name: input.name,
    path: input.path,
    capacityGib: input.capacityGib,
    overprovisioning: input.overprovisioning,
    tags: input.tags,
  });
  const diff = changes(p, patch);
  if (Object.keys(diff).length === 0) return p;
  if (patch.path !== undefined) {
    const problem = storagePathProblem(p.type, patch.path);
    if (problem) throw badRequest(problem, "path");
  }
  // Volumes may be allocated up to capacity × over-provisioning: neither may shrink below what they hold.
  const capacity = (patch.capacityGib ?? p.capacityGib) * (patch.overprovisioning ?? p.overprovisioning);
  const tooSmall = (used: number) =>
    badRequest(
      `Capacity × over-provisioning cannot be below the ${used.toLocaleString("en-US")} GiB already allocated to volumes`,
      patch.capacityGib !== undefined ? "capacityGib" : "overprovisioning",
    );
  if (capacity < p.usedGib) throw tooSmall(p.usedGib);
  try {
    return await db.transaction(async (tx) => {
      const [updated] = await tx
        .update(storagePools)
        .set(patch)
        .where(and(eq(storagePools.id, p.id), lte(storagePools.usedGib, Math.floor(capacity))))
        .returning();
      if (!updated) {
        const [now] = await tx.select().from(storagePools).where(eq(storagePools.id, p.id));
        if (!now) throw notFound("Storage pool");
        throw tooSmall(now.usedGib);
      }
      await infraEvent(tx, caller, {
        type: "STORAGE_POOL.UPDATE",
        description: `Updated primary storage pool ${p.name}${diff.name ? ` (renamed to ${patch.name})` : ""}`,
        resourceType: "storage_pool",
        resourceId: p.id,
        details: { changes: diff },
      });
      return updated;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A storage pool named "${input.name}" already exists`, "name");
    throw e;
  }
}

const stateVerb: Record<HostState, { type: string; verb: string }> = {
  enabled: { type: "ENABLE", verb: "Enabled" },
  disabled: { type: "DISABLE", verb: "Disabled" },
  maintenance: { type: "MAINTENANCE", verb: "Put into maintenance" },
};

export async function setStoragePoolState(db: Db, caller: Caller, input: { id: string; state: HostState }): Promise<StoragePool> {
  assertInfra(caller, "manage");
  const p = await getStoragePool(db, caller, input.id);
  if (p.state === input.state) return p;
  const { type, verb } = stateVerb[input.state];
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(storagePools).set({ state: input.state }).where(eq(storagePools.id, p.id)).returning();
    if (!updated) throw notFound("Storage pool");
    await infraEvent(tx, caller, {
      type: `STORAGE_POOL.${type}`,
      description: `${verb} primary storage pool ${p.name}${p.state === "maintenance" ? " (left maintenance)" : ""}`,
      resourceType: "storage_pool",
      resourceId: p.id,
      details: { from: p.state, to: input.state },
    });
    return updated;
  });
}

/** Deletes a pool that holds no volumes; conditional on it still being empty. */
export async function deleteStoragePool(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const p = await getStoragePool(db, caller, id);
  const inUse = (used: number) =>
    notEmpty(
      `Storage pool ${p.name} still has ${used.toLocaleString("en-US")} GiB used by VM disks; put it in maintenance, then destroy and expunge the VMs whose disks it holds`,
    );
  if (p.usedGib > 0) throw inUse(p.usedGib);
  try {
    await db.transaction(async (tx) => {
      const [gone] = await tx
        .delete(storagePools)
        .where(and(eq(storagePools.id, p.id), eq(storagePools.usedGib, 0)))
        .returning({ id: storagePools.id });
      if (!gone) {
        const [now] = await tx.select().from(storagePools).where(eq(storagePools.id, p.id));
        if (!now) throw notFound("Storage pool");
        throw inUse(now.usedGib);
      }
      await infraEvent(tx, caller, {
        type: "STORAGE_POOL.DELETE",
        description: `Deleted primary storage pool ${p.name}`,
        resourceType: "storage_pool",
        resourceId: p.id,
      });
    });
  } catch (e) {
    if (isFkViolation(e))
      throw notEmpty(`Storage pool ${p.name} still holds VM disks; destroy and expunge the VMs whose disks it holds first`);
    throw e;
  }
}

// Secondary storage (templates, ISOs, snapshots), one or more per zone

const storeRow = { ...getTableColumns(secondaryStores), zoneName: zones.name };
export type SecondaryStoreRow = SecondaryStore & { zoneName: string };

export async function getSecondaryStore(db: DbOrTx, caller: Caller, id: string): Promise<SecondaryStoreRow> {
  assertInfra(caller, "read");
  const [s] = await db
    .select(storeRow)
    .from(secondaryStores)
    .innerJoin(zones, eq(zones.id, secondaryStores.zoneId))
    .where(eq(secondaryStores.id, id));
  if (!s) throw notFound("Secondary store");
  return s;
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const secondaryStoreSort = {
  name: secondaryStores.name,
  zoneName: zones.name,
  path: secondaryStores.path,
  capacityGib: secondaryStores.capacityGib,
  createdAt: secondaryStores.createdAt,
};

export async function listSecondaryStores(db: DbOrTx, caller: Caller, input: PageInput & { zoneId?: string }) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.zoneId) conds.push(eq(secondaryStores.zoneId, input.zoneId));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(secondaryStores.name, q), ilike(secondaryStores.path, q), ilike(zones.name, q)));
  }
  const where = and(...conds);
  return pageJoined<SecondaryStoreRow>(
    input,
    secondaryStoreSort,
    [asc(secondaryStores.name)],
    secondaryStores.id,
    (order, limit, offset) =>
      db
        .select(storeRow)
        .from(secondaryStores)
        .innerJoin(zones, eq(zones.id, secondaryStores.zoneId))
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () =>
      (await db.select({ n: count() }).from(secondaryStores).innerJoin(zones, eq(zones.id, secondaryStores.zoneId)).where(where))[0]?.n ??
      0,
  );
}

/** The service checks paths itself too: it is also called without the router's schema (jobs, scripts, tests). */
function assertSecondaryPath(path: string | undefined) {
  const problem = path === undefined ? null : storagePathProblem("secondary", path);
  if (problem) throw badRequest(problem, "path");
}

export async function createSecondaryStore(db: Db, caller: Caller, input: CreateSecondaryStoreInput): Promise<SecondaryStore> {
  assertInfra(caller, "manage");
  assertSecondaryPath(input.path);
  try {
    return await db.transaction(async (tx) => {
      const zone = await lockZone(tx, input.zoneId);
      if (!zone) throw parentNotFound("Zone", "zoneId");
      const [s] = await tx
        .insert(secondaryStores)
        .values({ zoneId: zone.id, name: input.name, path: input.path, capacityGib: input.capacityGib })
        .returning();
      await infraEvent(tx, caller, {
        type: "SECONDARY_STORE.CREATE",
        description: `Added secondary store ${s!.name} (${input.capacityGib} GiB) to zone ${zone.name}`,
        resourceType: "secondary_store",
        resourceId: s!.id,
        details: { path: input.path },
      });
      return s!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A secondary store named "${input.name}" already exists`, "name");
    throw e;
  }
}

export async function updateSecondaryStore(db: Db, caller: Caller, input: UpdateSecondaryStoreInput): Promise<SecondaryStore> {
  assertInfra(caller, "manage");
  assertSecondaryPath(input.path);
  const s = await getSecondaryStore(db, caller, input.id);
  const patch = defined({ name: input.name, path: input.path, capacityGib: input.capacityGib });
  const diff = changes(s, patch);
  if (Object.keys(diff).length === 0) return s;
  try {
    return await db.transaction(async (tx) => {
      const [updated] = await tx.update(secondaryStores).set(patch).where(eq(secondaryStores.id, s.id)).returning();
      if (!updated) throw notFound("Secondary store");
      await infraEvent(tx, caller, {
        type: "SECONDARY_STORE.UPDATE",
        description: `Updated secondary store ${s.name}${diff.name ? ` (renamed to ${patch.name})` : ""}`,
        resourceType: "secondary_store",
        resourceId: s.id,
        details: { changes: diff },
      });
      return updated;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A secondary store named "${input.name}" already exists`, "name");
    throw e;
  }
}

export async function deleteSecondaryStore(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const s = await getSecondaryStore(db, caller, id);
  try {
    await db.transaction(async (tx) => {
      await tx.delete(secondaryStores).where(eq(secondaryStores.id, s.id));
      await infraEvent(tx, caller, {
        type: "SECONDARY_STORE.DELETE",
        description: `Deleted secondary store ${s.name} from zone ${s.zoneName}`,
        resourceType: "secondary_store",
        resourceId: s.id,
      });
    });
  } catch (e) {
    if (isFkViolation(e)) throw notEmpty(`Secondary store ${s.name} still holds templates or snapshots; delete or move them first`);
    throw e;
  }
}
