import { asc, eq, sql, type AnyColumn } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { clusters, hosts, secondaryStores, storagePools, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { notFound } from "../errors";
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
  primaryStorageGib: UsedTotal;
  /** Secondary stores record no use yet: used is 0 until templates and snapshots land there. */
  secondaryStorageGib: UsedTotal;
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
  const [hostAgg, poolAgg, storeAgg] = await Promise.all([
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
    db
      .select({ zoneId: storagePools.zoneId, used: num(sql`sum(${storagePools.usedGib})`), total: num(sql`sum(${storagePools.capacityGib})`) })
      .from(storagePools)
      .where(zoneFilter(storagePools.zoneId))
      .groupBy(storagePools.zoneId),
    db
      .select({ zoneId: secondaryStores.zoneId, total: num(sql`sum(${secondaryStores.capacityGib})`) })
      .from(secondaryStores)
      .where(zoneFilter(secondaryStores.zoneId))
      .groupBy(secondaryStores.zoneId),
  ]);
  const hostsBy = new Map(hostAgg.map((r) => [r.zoneId, r]));
  const poolsBy = new Map(poolAgg.map((r) => [r.zoneId, r]));
  const storesBy = new Map(storeAgg.map((r) => [r.zoneId, r]));
  return zoneRows.map((z) => {
    const h = hostsBy.get(z.id);
    const p = poolsBy.get(z.id);
    return {
      zoneId: z.id,
      zoneName: z.name,
      state: z.state,
      hosts: { total: h?.total ?? 0, enabled: h?.enabled ?? 0, disabled: h?.disabled ?? 0, maintenance: h?.maintenance ?? 0 },
      cpuMhz: { used: h?.cpuUsed ?? 0, total: h?.cpuTotal ?? 0 },
      memoryMib: { used: h?.memoryUsed ?? 0, total: h?.memoryTotal ?? 0 },
      primaryStorageGib: { used: p?.used ?? 0, total: p?.total ?? 0 },
      secondaryStorageGib: { used: 0, total: storesBy.get(z.id)?.total ?? 0 },
    };
  });
}
