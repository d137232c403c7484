import { asc, count, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { clusters, hosts, instances, pods, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { type PrimaryStorage, storageByZone, type UsedTotal } from "./infrastructure/capacity";
import { assertInfra } from "./infrastructure/common";

/** One resource's figures: reserved by VMs, what the planner may reserve (× factor), and the hardware. */
export interface CapacityFigure {
  used: number;
  total: number;
  physical: number;
}

export interface HostCapacity {
  id: string;
  name: string;
  state: "enabled" | "disabled" | "maintenance";
  status: "up" | "disconnected" | "down";
  vms: number;
  cpuMhz: CapacityFigure;
  memoryMib: CapacityFigure;
}
export interface ClusterCapacity {
  id: string;
  name: string;
  podName: string;
  cpuOvercommit: number;
  memoryOvercommit: number;
  vms: number;
  cpuMhz: CapacityFigure;
  memoryMib: CapacityFigure;
  hostCount: number;
  /** Each host's figures; empty when the cloud has more than HOST_DETAIL_LIMIT hosts (the Hosts page lists them). */
  hosts: HostCapacity[];
}
export interface ZoneCapacitySummary {
  id: string;
  name: string;
  state: "enabled" | "disabled";
  vms: number;
  cpuMhz: CapacityFigure;
  memoryMib: CapacityFigure;
  /**
   * Used = GiB allocated to volumes; total = capacity × over-provisioning; physical = capacity;
   * actualBytes = what the measured pools' volumes really take on disk.
   */
  primaryStorageGib: PrimaryStorage;
  secondaryStorageGib: UsedTotal;
  clusters: ClusterCapacity[];
}

const zero = (): CapacityFigure => ({ used: 0, total: 0, physical: 0 });
const add = (a: CapacityFigure, b: CapacityFigure) => {
  a.used += b.used;
  a.total += b.total;
  a.physical += b.physical;
};

/** Up to this many hosts the summary lists every host; beyond, clusters and zones only. */
export const HOST_DETAIL_LIMIT = 2000;

// A host in maintenance takes no new VMs: what it still runs counts as used, its capacity not.
const inService = sql`${hosts.state} <> 'maintenance'`;
const cpuPhysical = sql`${hosts.cpuCores}::bigint * ${hosts.cpuMhz}`;

/**
 * Compute capacity per zone, cluster and host (root admin). `used` is what placed VMs reserve
 * (hosts.cpu_used_mhz, memory_used_mib); `total` is what the planner may reserve: the hardware
 * times the cluster's over-provisioning factor; `physical` is the hardware alone. Zones and
 * clusters are summed by the database (one row per cluster, whatever the number of hosts); hosts
 * are listed one by one only in clouds of up to HOST_DETAIL_LIMIT hosts.
 */
export async function capacitySummary(db: DbOrTx, caller: Caller): Promise<ZoneCapacitySummary[]> {
  assertInfra(caller, "read");
  const perCluster = db
    .select({
      clusterId: hosts.clusterId,
      hostCount: sql<number>`count(*)::int`.as("host_count"),
      cpuUsed: sql<number>`sum(${hosts.cpuUsedMhz})::float8`.as("cpu_used"),
      memUsed: sql<number>`sum(${hosts.memoryUsedMib})::float8`.as("mem_used"),
      cpuPhysical: sql<number>`coalesce(sum(${cpuPhysical}) filter (where ${inService}), 0)::float8`.as("cpu_physical"),
      memPhysical: sql<number>`coalesce(sum(${hosts.memoryMib}) filter (where ${inService}), 0)::float8`.as("mem_physical"),
    })
    .from(hosts)
    .groupBy(hosts.clusterId)
    .as("per_cluster");
  const vmsPerCluster = db
    .select({ clusterId: hosts.clusterId, vms: sql<number>`count(*)::int`.as("vms") })
    .from(instances)
    .innerJoin(hosts, eq(hosts.id, instances.hostId))
    .where(eq(instances.capacityReserved, true))
    .groupBy(hosts.clusterId)
    .as("vms_per_cluster");
  const rows = await db
    .select({
      zoneId: zones.id,
      zoneName: zones.name,
      zoneState: zones.state,
      clusterId: clusters.id,
      clusterName: clusters.name,
      podName: pods.name,
      cpuOvercommit: clusters.cpuOvercommit,
      memoryOvercommit: clusters.memoryOvercommit,
      hostCount: perCluster.hostCount,
      cpuUsed: perCluster.cpuUsed,
      memUsed: perCluster.memUsed,
      cpuPhysical: perCluster.cpuPhysical,
      memPhysical: perCluster.memPhysical,
      vms: vmsPerCluster.vms,
    })
    .from(zones)
    .leftJoin(clusters, eq(clusters.zoneId, zones.id))
    .leftJoin(pods, eq(pods.id, clusters.podId))
    .leftJoin(perCluster, eq(perCluster.clusterId, clusters.id))
    .leftJoin(vmsPerCluster, eq(vmsPerCluster.clusterId, clusters.id))
    .orderBy(asc(zones.name), asc(clusters.name));
  const storage = await storageByZone(db);

  const out: ZoneCapacitySummary[] = [];
  const zoneById = new Map<string, ZoneCapacitySummary>();
  const clusterById = new Map<string, ClusterCapacity>();
  for (const r of rows) {
    let zone = zoneById.get(r.zoneId);
    if (!zone) {
      const st = storage.get(r.zoneId);
      zone = {
        id: r.zoneId,
        name: r.zoneName,
        state: r.zoneState,
        vms: 0,
        cpuMhz: zero(),
        memoryMib: zero(),
        primaryStorageGib: st?.primaryStorageGib ?? { used: 0, total: 0, physical: 0, actualBytes: null, measuredAt: null },
        secondaryStorageGib: st?.secondaryStorageGib ?? { used: 0, total: 0 },
        clusters: [],
      };
      zoneById.set(r.zoneId, zone);
      out.push(zone);
    }
    if (!r.clusterId) continue;
    const cpuOvercommit = Number(r.cpuOvercommit);
    const memoryOvercommit = Number(r.memoryOvercommit);
    const cpuPhys = Number(r.cpuPhysical ?? 0);
    const memPhys = Number(r.memPhysical ?? 0);
    const cluster: ClusterCapacity = {
      id: r.clusterId,
      name: r.clusterName!,
      podName: r.podName ?? "",
      cpuOvercommit,
      memoryOvercommit,
      vms: Number(r.vms ?? 0),
      cpuMhz: { used: Number(r.cpuUsed ?? 0), total: Math.floor(cpuPhys * cpuOvercommit), physical: cpuPhys },
      memoryMib: { used: Number(r.memUsed ?? 0), total: Math.floor(memPhys * memoryOvercommit), physical: memPhys },
      hostCount: Number(r.hostCount ?? 0),
      hosts: [],
    };
    clusterById.set(r.clusterId, cluster);
    zone.clusters.push(cluster);
    zone.vms += cluster.vms;
    add(zone.cpuMhz, cluster.cpuMhz);
    add(zone.memoryMib, cluster.memoryMib);
  }

  // Host by host, in a cloud small enough to show them all.
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(hosts);
  if (Number(n) > HOST_DETAIL_LIMIT || Number(n) === 0) return out;
  const vmsPerHost = db
    .select({ hostId: instances.hostId, vms: sql<number>`count(*)::int`.as("host_vms") })
    .from(instances)
    .where(eq(instances.capacityReserved, true))
    .groupBy(instances.hostId)
    .as("vms_per_host");
  const hostRows = await db
    .select({ host: hosts, vms: vmsPerHost.vms })
    .from(hosts)
    .leftJoin(vmsPerHost, eq(vmsPerHost.hostId, hosts.id))
    .where(inArray(hosts.clusterId, [...clusterById.keys()]))
    .orderBy(asc(hosts.name));
  for (const { host: h, vms } of hostRows) {
    const cluster = clusterById.get(h.clusterId);
    if (!cluster) continue;
    const cpuPhys = Number(h.cpuCores) * Number(h.cpuMhz);
    const memPhys = Number(h.memoryMib);
    cluster.hosts.push({
      id: h.id,
      name: h.name,
      state: h.state,
      status: h.status,
      vms: Number(vms ?? 0),
      cpuMhz: { used: Number(h.cpuUsedMhz), total: Math.floor(cpuPhys * cluster.cpuOvercommit), physical: cpuPhys },
      memoryMib: { used: Number(h.memoryUsedMib), total: Math.floor(memPhys * cluster.memoryOvercommit), physical: memPhys },
    });
  }
  return out;
}
