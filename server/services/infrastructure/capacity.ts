import { and, asc, eq, ne, sql, type AnyColumn } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { clusters, hosts, secondaryStores, snapshots, storagePools, templates, templateZoneCopies, volumes, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { notFound } from "@/server/core/errors";
import { rowsOf } from "@/db/rows";
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
  /**
   * Used = the GiB allocated to volumes on the zone's pools (the sum of their sizes, expunged ones
   * excepted); total = Σ capacity × the pool's over-provisioning factor; physical = Σ capacity.
   */
  primaryStorageGib: PrimaryStorage;
  /**
   * Used = what the zone's secondary stores hold: templates and ISOs by their stored size (the
   * virtual size only where nothing was stored, a simulator label), copies of templates from other
   * zones, and Ready volume snapshots' bytes.
   */
  secondaryStorageGib: UsedTotal;
  /** Public addresses of the zone's ranges: acquired (by networks) against all. */
  publicIps: UsedTotal;
  /** Guest VLANs of the zone's ranges: taken by networks against all. */
  vlans: UsedTotal;
}

export interface ZoneAddresses {
  publicIps: UsedTotal;
  vlans: UsedTotal;
}

/**
 * Public IPs and guest VLANs per zone, used against the zone's ranges (one place for the dashboard
 * and zone.capacity): a lookup by zone id, zeros for a zone without ranges.
 */
export async function addressesByZone(db: DbOrTx, zoneId?: string): Promise<(zoneId: string) => ZoneAddresses> {
  const only = (col: string) => (zoneId ? sql`where ${sql.raw(col)} = ${zoneId}` : sql``);
  const [ips, vlans] = await Promise.all([
    db.execute(sql`
      select r.zone_id, sum((r.end_ip::inet - r.start_ip::inet) + 1)::int as total,
        (select count(*)::int from public_ips p where p.zone_id = r.zone_id) as used
      from public_ip_ranges r ${only("r.zone_id")} group by r.zone_id`),
    db.execute(sql`
      select r.zone_id, sum(r.end_id - r.start_id + 1)::int as total,
        (select count(*)::int from networks n where n.zone_id = r.zone_id and n.vlan is not null
           and exists (select 1 from zone_vlan_ranges v where v.zone_id = n.zone_id and n.vlan between v.start_id and v.end_id)) as used
      from zone_vlan_ranges r ${only("r.zone_id")} group by r.zone_id`),
  ]);
  type Row = { zone_id: string; total: number; used: number };
  const byZone = (res: unknown) =>
    new Map(rowsOf<Row>(res as never).map((r) => [r.zone_id, { used: Number(r.used), total: Number(r.total) }]));
  const [ipsOf, vlansOf] = [byZone(ips), byZone(vlans)];
  const none = { used: 0, total: 0 };
  return (id) => ({ publicIps: ipsOf.get(id) ?? none, vlans: vlansOf.get(id) ?? none });
}

/** Primary storage of a zone: allocated GiB (volumes' sizes), and the bytes really on disk where measured. */
export type PrimaryStorage = UsedTotal & {
  physical: number;
  /** Σ of the measured pools' actual bytes (storage_pools.actual_bytes); null when no pool has been measured. */
  actualBytes: number | null;
  /** The oldest measurement among them. */
  measuredAt: Date | null;
};

/**
 * Primary and secondary storage per zone: volumes allocated on the pools against their capacity, and
 * registered templates' sizes against the secondary stores' capacity. One place for both pages.
 */
export async function storageByZone(
  db: DbOrTx,
  zoneId?: string,
): Promise<Map<string, { primaryStorageGib: PrimaryStorage; secondaryStorageGib: UsedTotal }>> {
  const [poolAgg, volumeAgg, storeAgg, templateAgg, copyAgg, snapshotAgg] = await Promise.all([
    db
      .select({
        zoneId: storagePools.zoneId,
        total: num(sql`sum(${storagePools.capacityGib} * ${storagePools.overprovisioning})`),
        physical: num(sql`sum(${storagePools.capacityGib})`),
        measured: sql<number>`count(${storagePools.actualBytes})::int`.mapWith(Number),
        actualBytes: num(sql`sum(${storagePools.actualBytes})`),
        measuredAt: sql<Date | null>`min(${storagePools.actualBytesAt})`.mapWith((v: string | Date | null) => (v ? new Date(v) : null)),
      })
      .from(storagePools)
      .where(zoneId ? eq(storagePools.zoneId, zoneId) : undefined)
      .groupBy(storagePools.zoneId),
    // Allocated GiB straight from the volumes on the pools (pools' used_gib is kept equal to it).
    db
      .select({ zoneId: storagePools.zoneId, used: num(sql`sum(${volumes.sizeGib})`) })
      .from(volumes)
      .innerJoin(storagePools, eq(storagePools.id, volumes.storagePoolId))
      .where(and(ne(volumes.state, "expunged"), zoneId ? eq(storagePools.zoneId, zoneId) : undefined))
      .groupBy(storagePools.zoneId),
    db
      .select({ zoneId: secondaryStores.zoneId, total: num(sql`sum(${secondaryStores.capacityGib})`) })
      .from(secondaryStores)
      .where(zoneId ? eq(secondaryStores.zoneId, zoneId) : undefined)
      .groupBy(secondaryStores.zoneId),
    // Stored bytes where the image was stored (a simulator template is a label: its virtual size).
    db
      .select({
        zoneId: secondaryStores.zoneId,
        used: num(
          sql`sum(case when ${templates.storedBytes} > 0 then ${templates.storedBytes}::float8 / ${GIB} else ${templates.sizeGib} end)`,
        ),
      })
      .from(templates)
      .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
      .where(zoneId ? eq(secondaryStores.zoneId, zoneId) : undefined)
      .groupBy(secondaryStores.zoneId),
    db
      .select({ zoneId: templateZoneCopies.zoneId, used: num(sql`sum(${templateZoneCopies.storedBytes}::float8 / ${GIB})`) })
      .from(templateZoneCopies)
      .where(and(eq(templateZoneCopies.status, "ready"), zoneId ? eq(templateZoneCopies.zoneId, zoneId) : undefined))
      .groupBy(templateZoneCopies.zoneId),
    db
      .select({ zoneId: snapshots.zoneId, used: num(sql`sum(${snapshots.sizeBytes}::float8 / ${GIB})`) })
      .from(snapshots)
      .where(and(eq(snapshots.state, "ready"), zoneId ? eq(snapshots.zoneId, zoneId) : undefined))
      .groupBy(snapshots.zoneId),
  ]);
  const out = new Map<string, { primaryStorageGib: PrimaryStorage; secondaryStorageGib: UsedTotal }>();
  const get = (z: string) => {
    let v = out.get(z);
    if (!v)
      out.set(
        z,
        (v = {
          primaryStorageGib: { used: 0, total: 0, physical: 0, actualBytes: null, measuredAt: null },
          secondaryStorageGib: { used: 0, total: 0 },
        }),
      );
    return v;
  };
  for (const p of poolAgg)
    get(p.zoneId).primaryStorageGib = {
      used: 0,
      total: p.total,
      physical: p.physical,
      actualBytes: p.measured > 0 ? p.actualBytes : null,
      measuredAt: p.measured > 0 ? p.measuredAt : null,
    };
  for (const v of volumeAgg) get(v.zoneId).primaryStorageGib.used = v.used;
  for (const st of storeAgg) get(st.zoneId).secondaryStorageGib.total = st.total;
  for (const t of [...templateAgg, ...copyAgg, ...snapshotAgg]) get(t.zoneId).secondaryStorageGib.used += t.used;
  return out;
}

const GIB = sql.raw(String(1024 ** 3));
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
  const [hostAgg, storage, addresses] = await Promise.all([
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
    addressesByZone(db, input.zoneId),
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
      primaryStorageGib: st?.primaryStorageGib ?? { used: 0, total: 0, physical: 0, actualBytes: null, measuredAt: null },
      secondaryStorageGib: st?.secondaryStorageGib ?? { used: 0, total: 0 },
      ...addresses(z.id),
    };
  });
}
