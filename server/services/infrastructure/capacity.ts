import { asc, eq, sql, type AnyColumn } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { clusters, hosts, secondaryStores, storagePools, templates, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { notFound } from "@/server/core/errors";
import { assertInfra } from "./common";
import { cpuTotalSql, memoryTotalSql } from "./hosts";

export interface UsedTotal {
  used: number;
  total: number;
}

export interface ZoneCapacity {
  zoneId: string;
  zoneName: string;
  state: "enabled" | "disabled";
  hosts: { total: number; enabled: number; disabled: number; maintenance: number };
  /** MHz; total = Σ cores × MHz × the cluster's CPU over-provisioning factor. */
  cpuMhz: UsedTotal;
  /** MiB; total = Σ memory × the cluster's memory over-provisioning factor. */
  memoryMib: UsedTotal;
  /** Used = the root disks counted on the zone's pools (deploy adds, expunge gives back). */
  primaryStorageGib: UsedTotal;
  /** Used = the sizes of the templates registered on the zone's secondary stores. */
  secondaryStorageGib: UsedTotal;
}

/**
 * Primary and secondary storage per zone: pools' counted root disks against their capacity, and
 * registered templates' sizes against the secondary stores' capacity. One place for both pages.
 */
export async function storageByZone(
  db: DbOrTx,
  zoneId?: string,
): Promise<Map<string, { primaryStorageGib: UsedTotal; secondaryStorageGib: UsedTotal }>> {
  const [poolAgg, storeAgg, templateAgg] = await Promise.all([
    db
      .select({
        zoneId: storagePools.zoneId,
        used: num(sql`sum(${storagePools.usedGib})`),
        total: num(sql`sum(${storagePools.capacityGib})`),
      })
      .from(storagePools)
      .where(zoneId ? eq(storagePools.zoneId, zoneId) : undefined)
      .groupBy(storagePools.zoneId),
    db
      .select({ zoneId: secondaryStores.zoneId, total: num(sql`sum(${secondaryStores.capacityGib})`) })
      .from(secondaryStores)
      .where(zoneId ? eq(secondaryStores.zoneId, zoneId) : undefined)
      .groupBy(secondaryStores.zoneId),
    db
      .select({ zoneId: secondaryStores.zoneId, used: num(sql`sum(${templates.sizeGib})`) })
      .from(templates)
      .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
      .where(zoneId ? eq(secondaryStores.zoneId, zoneId) : undefined)
      .groupBy(secondaryStores.zoneId),
  ]);
  const out = new Map<string, { primaryStorageGib: UsedTotal; secondaryStorageGib: UsedTotal }>();
  const get = (z: string) => {
    let v = out.get(z);
    if (!v) out.set(z, (v = { primaryStorageGib: { used: 0, total: 0 }, secondaryStorageGib: { used: 0, total: 0 } }));
    return v;
  };
  for (const p of poolAgg) get(p.zoneId).primaryStorageGib = { used: p.used, total: p.total };
  for (const st of storeAgg) get(st.zoneId).secondaryStorageGib.total = st.total;
  for (const t of templateAgg) get(t.zoneId).secondaryStorageGib.used = t.used;
  return out;
}

const num = (expr: ReturnType<typeof sql>) => sql<number>`coalesce(${expr}, 0)::float8`.mapWith(Number);

/**
 * Per-zone capacity: what VMs have reserved against what the planner may reserve. Every host counts
 * toward the total whatever its state (the host counts by state show how much is in service).
 */
export async function zoneCapacity(db: DbOrTx, caller: Caller, input: { zoneId?: string } = {}): Promise<ZoneCapacity[]> {
  assertInfra(caller, "read");
  const zoneRows = await db
    .select({ id: zones.id, name: zones.name, state: zones.state })
    .from(zones)
    .where(input.zoneId ? eq(zones.id, input.zoneId) : undefined)
    .orderBy(asc(zones.name))
    .limit(1000);
  if (input.zoneId && zoneRows.length === 0) throw notFound("Zone");
  const zoneFilter = (col: AnyColumn) => (input.zoneId ? eq(col, input.zoneId) : undefined);
  const [hostAgg, storage] = await Promise.all([
    db
      .select({
        zoneId: hosts.zoneId,
        total: sql<number>`count(*)::int`.mapWith(Number),
        enabled: sql<number>`(count(*) filter (where ${hosts.state} = 'enabled'))::int`.mapWith(Number),
        disabled: sql<number>`(count(*) filter (where ${hosts.state} = 'disabled'))::int`.mapWith(Number),
        maintenance: sql<number>`(count(*) filter (where ${hosts.state} = 'maintenance'))::int`.mapWith(Number),
        cpuUsed: num(sql`sum(${hosts.cpuUsedMhz})`),
        // A host in maintenance takes no new VMs: its capacity is not counted as available.
        cpuTotal: num(sql`sum(${cpuTotalSql}) filter (where ${hosts.state} <> 'maintenance')`),
        memoryUsed: num(sql`sum(${hosts.memoryUsedMib})`),
        memoryTotal: num(sql`sum(${memoryTotalSql}) filter (where ${hosts.state} <> 'maintenance')`),
      })
      .from(hosts)
      .innerJoin(clusters, eq(clusters.id, hosts.clusterId))
      .where(zoneFilter(hosts.zoneId))
      .groupBy(hosts.zoneId),
    storageByZone(db, input.zoneId),
  ]);
  const hostsBy = new Map(hostAgg.map((r) => [r.zoneId, r]));
  return zoneRows.map((z) => {
    const h = hostsBy.get(z.id);
    const st = storage.get(z.id);
    return {
      zoneId: z.id,
      zoneName: z.name,
      state: z.state,
      hosts: { total: h?.total ?? 0, enabled: h?.enabled ?? 0, disabled: h?.disabled ?? 0, maintenance: h?.maintenance ?? 0 },
      cpuMhz: { used: h?.cpuUsed ?? 0, total: h?.cpuTotal ?? 0 },
      memoryMib: { used: h?.memoryUsed ?? 0, total: h?.memoryTotal ?? 0 },
      primaryStorageGib: st?.primaryStorageGib ?? { used: 0, total: 0 },
      secondaryStorageGib: st?.secondaryStorageGib ?? { used: 0, total: 0 },
    };
  });
}
