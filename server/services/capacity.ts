import { asc, eq, sql } from "drizzle-orm";
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

/**
 * Compute capacity per zone, cluster and host (root admin). `used` is what placed VMs reserve
 * (hosts.cpu_used_mhz, memory_used_mib); `total` is what the planner may reserve: the hardware
 * times the cluster's over-provisioning factor; `physical` is the hardware alone.
 */
export async function capacitySummary(db: DbOrTx, caller: Caller): Promise<ZoneCapacitySummary[]> {
  assertInfra(caller, "read");
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
      hostId: hosts.id,
      hostName: hosts.name,
      hostState: hosts.state,
      hostStatus: hosts.status,
      cpuCores: hosts.cpuCores,
      cpuMhz: hosts.cpuMhz,
      memoryMib: hosts.memoryMib,
      cpuUsedMhz: hosts.cpuUsedMhz,
      memoryUsedMib: hosts.memoryUsedMib,
      vms: sql<number>`(select count(*)::int from ${instances} where ${instances.hostId} = ${hosts.id} and ${instances.capacityReserved})`.mapWith(
        Number,
      ),
    })
    .from(zones)
    .leftJoin(clusters, eq(clusters.zoneId, zones.id))
    .leftJoin(pods, eq(pods.id, clusters.podId))
    .leftJoin(hosts, eq(hosts.clusterId, clusters.id))
    .orderBy(asc(zones.name), asc(clusters.name), asc(hosts.name))
    .limit(20_000);
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
    let cluster = clusterById.get(r.clusterId);
    if (!cluster) {
      cluster = {
        id: r.clusterId,
        name: r.clusterName!,
        podName: r.podName ?? "",
        cpuOvercommit: Number(r.cpuOvercommit),
        memoryOvercommit: Number(r.memoryOvercommit),
        vms: 0,
        cpuMhz: zero(),
        memoryMib: zero(),
        hosts: [],
      };
      clusterById.set(r.clusterId, cluster);
      zone.clusters.push(cluster);
    }
    if (!r.hostId) continue;
    const cpuPhysical = Number(r.cpuCores) * Number(r.cpuMhz);
    const memPhysical = Number(r.memoryMib);
    const host: HostCapacity = {
      id: r.hostId,
      name: r.hostName!,
      state: r.hostState!,
      status: r.hostStatus!,
      vms: Number(r.vms),
      cpuMhz: { used: Number(r.cpuUsedMhz), total: Math.floor(cpuPhysical * cluster.cpuOvercommit), physical: cpuPhysical },
      memoryMib: { used: Number(r.memoryUsedMib), total: Math.floor(memPhysical * cluster.memoryOvercommit), physical: memPhysical },
    };
    cluster.hosts.push(host);
    cluster.vms += host.vms;
    zone.vms += host.vms;
    // A host in maintenance takes no new VMs: what it still runs counts as used, its capacity not.
    const counted = (f: CapacityFigure) => (host.state === "maintenance" ? { used: f.used, total: 0, physical: 0 } : f);
    for (const sum of [cluster, zone]) {
      add(sum.cpuMhz, counted(host.cpuMhz));
      add(sum.memoryMib, counted(host.memoryMib));
    }
  }
  return out;
}
