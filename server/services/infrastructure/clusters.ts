import { and, asc, count, eq, getTableColumns, ilike, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { clusters, pods, zones } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import type { AllocationState, CreateClusterInput, HypervisorType, UpdateClusterInput } from "@/lib/validation/infrastructure";
import { conflict, notFound } from "@/server/core/errors";
import type { PageInput } from "../paging";
import { assertInfra, changes, defined, infraEvent, isFkViolation, joinList, notEmpty, pageJoined, parentNotFound, plural } from "./common";
import { lockPod } from "./pods";

export type Cluster = typeof clusters.$inferSelect;

/** Host counts and capacity of the cluster's hosts (totals include the over-provisioning factors). */
const clusterAggregates = {
  hostCount: sql<number>`(select count(*)::int from "hosts" where "hosts"."cluster_id" = "clusters"."id")`.mapWith(Number),
  storagePoolCount: sql<number>`(select count(*)::int from "storage_pools" where "storage_pools"."cluster_id" = "clusters"."id")`.mapWith(
    Number,
  ),
  cpuUsedMhz:
    sql<number>`(select coalesce(sum("hosts"."cpu_used_mhz"), 0)::float8 from "hosts" where "hosts"."cluster_id" = "clusters"."id")`.mapWith(
      Number,
    ),
  cpuTotalMhz:
    sql<number>`(select coalesce(sum(floor("hosts"."cpu_cores" * "hosts"."cpu_mhz" * "clusters"."cpu_overcommit")), 0)::float8 from "hosts" where "hosts"."cluster_id" = "clusters"."id")`.mapWith(
      Number,
    ),
  memoryUsedMib:
    sql<number>`(select coalesce(sum("hosts"."memory_used_mib"), 0)::float8 from "hosts" where "hosts"."cluster_id" = "clusters"."id")`.mapWith(
      Number,
    ),
  memoryTotalMib:
    sql<number>`(select coalesce(sum(floor("hosts"."memory_mib" * "clusters"."memory_overcommit")), 0)::float8 from "hosts" where "hosts"."cluster_id" = "clusters"."id")`.mapWith(
      Number,
    ),
};
const clusterRow = { ...getTableColumns(clusters), podName: pods.name, zoneName: zones.name, ...clusterAggregates };
export type ClusterRow = Cluster & { podName: string; zoneName: string } & { [K in keyof typeof clusterAggregates]: number };

function clusterQuery(db: DbOrTx) {
  return db.select(clusterRow).from(clusters).innerJoin(pods, eq(pods.id, clusters.podId)).innerJoin(zones, eq(zones.id, clusters.zoneId));
}

export async function getCluster(db: DbOrTx, caller: Caller, id: string): Promise<ClusterRow> {
  assertInfra(caller, "read");
  const [c] = await clusterQuery(db).where(eq(clusters.id, id));
  if (!c) throw notFound("Cluster");
  return c;
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const clusterSort = {
  name: clusters.name,
  podName: pods.name,
  zoneName: zones.name,
  hypervisorType: clusters.hypervisorType,
  cpuOvercommit: clusters.cpuOvercommit,
  memoryOvercommit: clusters.memoryOvercommit,
  state: clusters.state,
  hostCount: clusterAggregates.hostCount,
  createdAt: clusters.createdAt,
};

export async function listClusters(
  db: DbOrTx,
  caller: Caller,
  input: PageInput & { zoneId?: string; podId?: string; hypervisorType?: HypervisorType; state?: AllocationState },
) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.zoneId) conds.push(eq(clusters.zoneId, input.zoneId));
  if (input.podId) conds.push(eq(clusters.podId, input.podId));
  if (input.hypervisorType) conds.push(eq(clusters.hypervisorType, input.hypervisorType));
  if (input.state) conds.push(eq(clusters.state, input.state));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(clusters.name, q), ilike(pods.name, q), ilike(zones.name, q)));
  }
  const where = and(...conds);
  return pageJoined<ClusterRow>(
    input,
    clusterSort,
    [asc(zones.name), asc(pods.name), asc(clusters.name)],
    clusters.id,
    (order, limit, offset) =>
      clusterQuery(db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () =>
      (
        await db
          .select({ n: count() })
          .from(clusters)
          .innerJoin(pods, eq(pods.id, clusters.podId))
          .innerJoin(zones, eq(zones.id, clusters.zoneId))
          .where(where)
      )[0]?.n ?? 0,
  );
}

/** Cluster names are unique within their pod; the caller holds the pod's row lock. */
async function assertClusterNameFree(tx: DbOrTx, pod: { id: string; name: string }, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: clusters.id })
    .from(clusters)
    .where(and(eq(clusters.podId, pod.id), eq(clusters.name, name), exceptId ? ne(clusters.id, exceptId) : undefined));
  if (taken) throw conflict(`Pod ${pod.name} already has a cluster named "${name}"`, "name");
}

export async function createCluster(db: Db, caller: Caller, input: CreateClusterInput): Promise<Cluster> {
  assertInfra(caller, "manage");
  return db.transaction(async (tx) => {
    const pod = await lockPod(tx, input.podId);
    if (!pod) throw parentNotFound("Pod", "podId");
    await assertClusterNameFree(tx, pod, input.name);
    const [c] = await tx
      .insert(clusters)
      .values({
        podId: pod.id,
        zoneId: pod.zoneId,
        name: input.name,
        hypervisorType: input.hypervisorType,
        cpuOvercommit: input.cpuOvercommit,
        memoryOvercommit: input.memoryOvercommit,
      })
      .returning();
    await infraEvent(tx, caller, {
      type: "CLUSTER.CREATE",
      description: `Created ${input.hypervisorType} cluster ${c!.name} in pod ${pod.name}`,
      resourceType: "cluster",
      resourceId: c!.id,
      details: { cpuOvercommit: input.cpuOvercommit, memoryOvercommit: input.memoryOvercommit },
    });
    return c!;
  });
}

/**
 * Renames a cluster or changes its over-provisioning factors. Lowering a factor below what is
 * already reserved is allowed (as in CloudStack): running VMs stay, the planner places no more there.
 */
export async function updateCluster(db: Db, caller: Caller, input: UpdateClusterInput): Promise<Cluster> {
  assertInfra(caller, "manage");
  const c = await getCluster(db, caller, input.id);
  const patch = defined({ name: input.name, cpuOvercommit: input.cpuOvercommit, memoryOvercommit: input.memoryOvercommit });
  const diff = changes(c, patch);
  if (Object.keys(diff).length === 0) return c;
  return db.transaction(async (tx) => {
    if (patch.name !== undefined && patch.name !== c.name) {
      const pod = await lockPod(tx, c.podId);
      if (!pod) throw notFound("Pod");
      await assertClusterNameFree(tx, pod, patch.name, c.id);
    }
    const [updated] = await tx.update(clusters).set(patch).where(eq(clusters.id, c.id)).returning();
    if (!updated) throw notFound("Cluster");
    await infraEvent(tx, caller, {
      type: "CLUSTER.UPDATE",
      description: `Updated cluster ${c.name}${diff.name ? ` (renamed to ${patch.name})` : ""}`,
      resourceType: "cluster",
      resourceId: c.id,
      details: { changes: diff },
    });
    return updated;
  });
}

export async function setClusterState(db: Db, caller: Caller, input: { id: string; state: AllocationState }): Promise<Cluster> {
  assertInfra(caller, "manage");
  const c = await getCluster(db, caller, input.id);
  if (c.state === input.state) return c;
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(clusters).set({ state: input.state }).where(eq(clusters.id, c.id)).returning();
    if (!updated) throw notFound("Cluster");
    await infraEvent(tx, caller, {
      type: input.state === "enabled" ? "CLUSTER.ENABLE" : "CLUSTER.DISABLE",
      description: `${input.state === "enabled" ? "Enabled" : "Disabled"} cluster ${c.name}`,
      resourceType: "cluster",
      resourceId: c.id,
    });
    return updated;
  });
}

export async function deleteCluster(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const c = await getCluster(db, caller, id);
  const blockers = [
    c.hostCount ? plural(c.hostCount, "host") : "",
    c.storagePoolCount ? plural(c.storagePoolCount, "primary storage pool") : "",
  ].filter(Boolean);
  if (blockers.length) throw notEmpty(`Cluster ${c.name} still has ${joinList(blockers)}; delete them first`);
  try {
    await db.transaction(async (tx) => {
      await tx.delete(clusters).where(eq(clusters.id, c.id));
      await infraEvent(tx, caller, {
        type: "CLUSTER.DELETE",
        description: `Deleted cluster ${c.name} from pod ${c.podName}`,
        resourceType: "cluster",
        resourceId: c.id,
      });
    });
  } catch (e) {
    if (isFkViolation(e))
      throw notEmpty(`Cluster ${c.name} is still in use (something was added to it meanwhile); delete what it holds first`);
    throw e;
  }
}

/** Locks a cluster row for the rest of the transaction (so it cannot be deleted under a new host or pool). */
export async function lockCluster(tx: DbOrTx, id: string): Promise<Cluster | undefined> {
  const [c] = await tx.select().from(clusters).where(eq(clusters.id, id)).for("update");
  return c;
}
