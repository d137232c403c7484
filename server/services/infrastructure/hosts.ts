import { and, asc, count, eq, getTableColumns, ilike, inArray, lte, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { clusters, hosts, networks, pods, zones } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import {
  type CreateHostInput,
  hostAddressProblem,
  type HostState,
  type HostStatus,
  type HypervisorType,
  type UpdateHostInput,
} from "@/lib/validation/infrastructure";
import { libvirtKeyDir } from "@/server/env";
import { badRequest, conflict, isUniqueViolation, notFound } from "@/server/core/errors";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import type { HostFacts, HostRef } from "@/server/orchestrator/drivers/types";
import type { PageInput } from "../paging";
import { assertInfra, changes, defined, infraEvent, isFkViolation, notEmpty, pageJoined, parentNotFound, plural } from "./common";
import { lockCluster } from "./clusters";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { removeNetworksFromHost, replaceRouter } from "@/server/orchestrator/network/realise";
import { logger } from "@/server/log";
import { networkEvent } from "@/server/core/events";

export type Host = typeof hosts.$inferSelect;

/** Total capacity the planner may reserve: physical capacity × the cluster's over-provisioning factor. */
export const cpuTotalSql = sql<number>`floor(${hosts.cpuCores} * ${hosts.cpuMhz} * ${clusters.cpuOvercommit})::float8`.mapWith(Number);
export const memoryTotalSql = sql<number>`floor(${hosts.memoryMib} * ${clusters.memoryOvercommit})::float8`.mapWith(Number);

const hostRow = {
  ...getTableColumns(hosts),
  clusterName: clusters.name,
  podName: pods.name,
  zoneName: zones.name,
  cpuOvercommit: clusters.cpuOvercommit,
  memoryOvercommit: clusters.memoryOvercommit,
  cpuTotalMhz: cpuTotalSql,
  memoryTotalMib: memoryTotalSql,
};
export type HostRow = Host & {
  clusterName: string;
  podName: string;
  zoneName: string;
  cpuOvercommit: number;
  memoryOvercommit: number;
  cpuTotalMhz: number;
  memoryTotalMib: number;
};

function hostQuery(db: DbOrTx) {
  return db
    .select(hostRow)
    .from(hosts)
    .innerJoin(clusters, eq(clusters.id, hosts.clusterId))
    .innerJoin(pods, eq(pods.id, hosts.podId))
    .innerJoin(zones, eq(zones.id, hosts.zoneId));
}

export async function getHost(db: DbOrTx, caller: Caller, id: string): Promise<HostRow> {
  assertInfra(caller, "read");
  const [h] = await hostQuery(db).where(eq(hosts.id, id));
  if (!h) throw notFound("Host");
  return h;
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const hostSort = {
  name: hosts.name,
  clusterName: clusters.name,
  podName: pods.name,
  zoneName: zones.name,
  hypervisorType: hosts.hypervisorType,
  state: hosts.state,
  status: hosts.status,
  cpuCores: hosts.cpuCores,
  cpuMhz: hosts.cpuMhz,
  memoryMib: hosts.memoryMib,
  cpuUsedMhz: hosts.cpuUsedMhz,
  memoryUsedMib: hosts.memoryUsedMib,
  cpuTotalMhz: cpuTotalSql,
  memoryTotalMib: memoryTotalSql,
  createdAt: hosts.createdAt,
};

export async function listHosts(
  db: DbOrTx,
  caller: Caller,
  input: PageInput & {
    zoneId?: string;
    podId?: string;
    clusterId?: string;
    state?: HostState;
    status?: HostStatus;
    hypervisorType?: HypervisorType;
    tag?: string;
  },
) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.zoneId) conds.push(eq(hosts.zoneId, input.zoneId));
  if (input.podId) conds.push(eq(hosts.podId, input.podId));
  if (input.clusterId) conds.push(eq(hosts.clusterId, input.clusterId));
  if (input.state) conds.push(eq(hosts.state, input.state));
  if (input.status) conds.push(eq(hosts.status, input.status));
  if (input.hypervisorType) conds.push(eq(hosts.hypervisorType, input.hypervisorType));
  if (input.tag) conds.push(sql`${input.tag} = any(${hosts.tags})`);
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(
      or(ilike(hosts.name, q), ilike(hosts.address, q), ilike(clusters.name, q), sql`array_to_string(${hosts.tags}, ' ') ilike ${q}`),
    );
  }
  const where = and(...conds);
  return pageJoined<HostRow>(
    input,
    hostSort,
    [asc(hosts.name)],
    hosts.id,
    (order, limit, offset) =>
      hostQuery(db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () => (await db.select({ n: count() }).from(hosts).innerJoin(clusters, eq(clusters.id, hosts.clusterId)).where(where))[0]?.n ?? 0,
  );
}

/** Two host rows for one machine would double its capacity: addresses are unique. */
async function assertAddressFree(tx: DbOrTx, address: string, exceptId?: string) {
  const [taken] = await tx
    .select({ name: hosts.name })
    .from(hosts)
    .where(and(eq(hosts.address, address), exceptId ? ne(hosts.id, exceptId) : undefined));
  if (taken) throw conflict(`Host ${taken.name} already has the address ${address}`, "address");
}

/**
 * Asks a KVM host's libvirt for its facts (outside any transaction: it is network I/O). The
 * connection must work for the host to be added; capacity then comes from libvirt, not the form.
 */
export async function probeKvmHost(address: string, name: string) {
  const ref: HostRef = { id: "new", name, address, hypervisorType: "kvm" };
  try {
    return await driverFor(ref).ping(ref);
  } catch (e) {
    throw badRequest(`Cannot use libvirt at ${address}: ${e instanceof Error ? e.message : String(e)}`, "address");
  }
}

function factsColumns(f: HostFacts) {
  return {
    cpuCores: f.cpuCores,
    cpuMhz: f.cpuMhz,
    memoryMib: f.memoryMib,
    cpuModel: f.cpuModel ?? null,
    hypervisorVersion: f.hypervisorVersion ?? null,
    libvirtVersion: f.libvirtVersion ?? null,
    kvmAccelerated: f.kvmAccelerated ?? null,
  };
}

export async function createHost(db: Db, caller: Caller, input: CreateHostInput): Promise<Host> {
  assertInfra(caller, "manage");
  const problem = hostAddressProblem(input.hypervisorType, input.address, libvirtKeyDir());
  if (problem) throw badRequest(problem, "address");
  let facts: ReturnType<typeof factsColumns> | null = null;
  if (input.hypervisorType === "kvm") {
    // Cheap checks first (no network I/O for a form mistake); they are made again under the lock.
    const [c] = await db.select({ hypervisorType: clusters.hypervisorType }).from(clusters).where(eq(clusters.id, input.clusterId));
    if (c && c.hypervisorType === input.hypervisorType) facts = factsColumns(await probeKvmHost(input.address, input.name));
  }
  try {
    return await db.transaction(async (tx) => {
      const cluster = await lockCluster(tx, input.clusterId);
      if (!cluster) throw parentNotFound("Cluster", "clusterId");
      if (cluster.hypervisorType !== input.hypervisorType) {
        throw badRequest(
          `Cluster ${cluster.name} is a ${cluster.hypervisorType} cluster; its hosts must use the ${cluster.hypervisorType} hypervisor too`,
          "hypervisorType",
        );
      }
      await assertAddressFree(tx, input.address);
      const [h] = await tx
        .insert(hosts)
        .values({
          clusterId: cluster.id,
          podId: cluster.podId,
          zoneId: cluster.zoneId,
          name: input.name,
          hypervisorType: input.hypervisorType,
          address: input.address,
          cpuCores: input.cpuCores,
          cpuMhz: input.cpuMhz,
          memoryMib: input.memoryMib,
          tags: input.tags,
          domainType: input.hypervisorType === "kvm" ? (input.domainType ?? null) : null,
          ...facts,
          lastSeenAt: facts ? new Date() : null,
        })
        .returning();
      await infraEvent(tx, caller, {
        type: "HOST.CREATE",
        description: `Added ${input.hypervisorType} host ${h!.name} (${h!.cpuCores} × ${h!.cpuMhz} MHz, ${h!.memoryMib} MiB${h!.hypervisorVersion ? `, ${h!.hypervisorVersion}` : ""}) to cluster ${cluster.name}`,
        resourceType: "host",
        resourceId: h!.id,
        details: { address: input.address, tags: input.tags, ...(facts ?? {}) },
      });
      return h!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A host named "${input.name}" already exists`, "name");
    throw e;
  }
}

/**
 * Edits a host. Capacity may shrink only down to what VMs have reserved; the update is conditional,
 * so a reservation made meanwhile by the planner cannot be overtaken.
 */
export async function updateHost(db: Db, caller: Caller, input: UpdateHostInput): Promise<Host> {
  assertInfra(caller, "manage");
  const h = await getHost(db, caller, input.id);
  const patch = defined({
    name: input.name,
    address: input.address,
    cpuCores: input.cpuCores,
    cpuMhz: input.cpuMhz,
    memoryMib: input.memoryMib,
    tags: input.tags,
    domainType: h.hypervisorType === "kvm" ? input.domainType : undefined,
  });
  const diff = changes(h, patch);
  if (Object.keys(diff).length === 0) return h;
  if (patch.address !== undefined) {
    const problem = hostAddressProblem(h.hypervisorType, patch.address, libvirtKeyDir());
    if (problem) throw badRequest(problem, "address");
  }
  const cores = patch.cpuCores ?? h.cpuCores;
  const mhz = patch.cpuMhz ?? h.cpuMhz;
  const memory = patch.memoryMib ?? h.memoryMib;
  const cpuTotal = Math.floor(cores * mhz * h.cpuOvercommit);
  const memoryTotal = Math.floor(memory * h.memoryOvercommit);
  const cpuTooSmall = (used: number) =>
    badRequest(
      `CPU capacity would be ${cpuTotal.toLocaleString("en-US")} MHz (cores × MHz × ${h.cpuOvercommit}), below the ${used.toLocaleString("en-US")} MHz already reserved by VMs`,
      patch.cpuCores !== undefined ? "cpuCores" : "cpuMhz",
    );
  const memoryTooSmall = (used: number) =>
    badRequest(
      `Memory capacity would be ${memoryTotal.toLocaleString("en-US")} MiB (× ${h.memoryOvercommit}), below the ${used.toLocaleString("en-US")} MiB already reserved by VMs`,
      "memoryMib",
    );
  if (cpuTotal < h.cpuUsedMhz) throw cpuTooSmall(h.cpuUsedMhz);
  if (memoryTotal < h.memoryUsedMib) throw memoryTooSmall(h.memoryUsedMib);
  try {
    return await db.transaction(async (tx) => {
      if (patch.address !== undefined) await assertAddressFree(tx, patch.address, h.id);
      const [updated] = await tx
        .update(hosts)
        .set(patch)
        .where(and(eq(hosts.id, h.id), lte(hosts.cpuUsedMhz, cpuTotal), lte(hosts.memoryUsedMib, memoryTotal)))
        .returning();
      if (!updated) {
        const [now] = await tx.select().from(hosts).where(eq(hosts.id, h.id));
        if (!now) throw notFound("Host");
        throw now.cpuUsedMhz > cpuTotal ? cpuTooSmall(now.cpuUsedMhz) : memoryTooSmall(now.memoryUsedMib);
      }
      await infraEvent(tx, caller, {
        type: "HOST.UPDATE",
        description: `Updated host ${h.name}${diff.name ? ` (renamed to ${patch.name})` : ""}`,
        resourceType: "host",
        resourceId: h.id,
        details: { changes: diff },
      });
      return updated;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A host named "${input.name}" already exists`, "name");
    throw e;
  }
}

const stateVerb: Record<HostState, { type: string; verb: string }> = {
  enabled: { type: "ENABLE", verb: "Enabled" },
  disabled: { type: "DISABLE", verb: "Disabled" },
  maintenance: { type: "MAINTENANCE", verb: "Put into maintenance" },
};

/**
 * Enabled hosts take new VMs; disabled ones keep their VMs but take no new ones; maintenance also
 * takes none and is where an admin empties a host (stopping or destroying its VMs) before working on or removing it.
 */
export async function setHostState(db: Db, caller: Caller, input: { id: string; state: HostState }): Promise<Host> {
  assertInfra(caller, "manage");
  const h = await getHost(db, caller, input.id);
  if (h.state === input.state) return h;
  const { type, verb } = stateVerb[input.state];
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(hosts).set({ state: input.state }).where(eq(hosts.id, h.id)).returning();
    if (!updated) throw notFound("Host");
    await infraEvent(tx, caller, {
      type: `HOST.${type}`,
      description: `${verb} host ${h.name}${h.state === "maintenance" ? " (left maintenance)" : ""}`,
      resourceType: "host",
      resourceId: h.id,
      details: { from: h.state, to: input.state },
    });
    return updated;
  });
}

/** Networks whose router was on a departing host: shut down, routerless, until a VM starts on one. */
async function shutDownRoutedNetworks(tx: DbOrTx, ids: string[], h: HostRow): Promise<number> {
  if (ids.length === 0) return 0;
  const moved = await tx
    .update(networks)
    .set({ routerHostId: null, state: "shutdown", stateChangedAt: new Date() })
    .where(and(inArray(networks.id, ids), eq(networks.routerHostId, h.id)))
    .returning();
  for (const n of moved)
    await networkEvent(
      tx,
      n,
      "NETWORK.SHUTDOWN",
      `Network ${n.name} is shut down: its router's host ${h.name} was removed; the next VM to start puts it on its own host`,
      { hostName: h.name },
    );
  return moved.length;
}

/**
 * Removes a host that no VM uses, with its networks' routers and bridges; the delete is
 * conditional on it still being empty.
 */
export async function deleteHost(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const h = await getHost(db, caller, id);
  const inUse = (cpu: number, mem: number) =>
    notEmpty(
      `Host ${h.name} still has ${cpu.toLocaleString("en-US")} MHz of CPU and ${mem.toLocaleString("en-US")} MiB of memory reserved by VMs; put it in maintenance, then stop or destroy its VMs first`,
    );
  if (h.cpuUsedMhz > 0 || h.memoryUsedMib > 0) throw inUse(h.cpuUsedMhz, h.memoryUsedMib);
  // Its networks' routers and bridges first: a router left on a host outside the cloud would
  // still answer for its network's gateway. Refused, nothing changed, if the host fails to.
  const net = await removeNetworksFromHost(db, { ...hostRefOf(h), zoneId: h.zoneId, status: h.status }).catch((e: Error) => {
    throw notEmpty(`Host ${h.name} was not removed: ${e.message}`);
  });
  try {
    await db.transaction(async (tx) => {
      const moved = await shutDownRoutedNetworks(tx, net.routed, h);
      const [gone] = await tx
        .delete(hosts)
        .where(and(eq(hosts.id, h.id), eq(hosts.cpuUsedMhz, 0), eq(hosts.memoryUsedMib, 0)))
        .returning({ id: hosts.id });
      if (!gone) {
        const [now] = await tx.select().from(hosts).where(eq(hosts.id, h.id));
        if (!now) throw notFound("Host");
        throw inUse(now.cpuUsedMhz, now.memoryUsedMib);
      }
      const left =
        net.removed || net.routed.length === 0 ? "" : `; the routers of ${plural(moved, "network")} stay on it (host ${h.status})`;
      await infraEvent(tx, caller, {
        type: "HOST.DELETE",
        description: `Removed host ${h.name} from cluster ${h.clusterName}${left}`,
        resourceType: "host",
        resourceId: h.id,
      });
    });
  } catch (e) {
    if (isFkViolation(e))
      throw notEmpty(`Host ${h.name} still has VMs (destroyed ones until they are expunged); destroy and expunge them first`);
    throw e;
  }
  // The host is gone either way: a router that cannot be placed now is placed by the next VM start.
  for (const id of net.routed)
    await replaceRouter(db, id).catch((e: Error) =>
      logger().warn({ err: e, networkId: id }, "router not replaced after its host was removed"),
    );
}
