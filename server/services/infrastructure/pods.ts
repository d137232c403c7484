import { and, asc, count, eq, getTableColumns, ilike, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { pods, zones } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import type { AllocationState, CreatePodInput, UpdatePodInput } from "@/lib/validation/infrastructure";
import { conflict, notFound } from "@/server/core/errors";
import type { PageInput } from "../paging";
import { assertInfra, changes, infraEvent, isFkViolation, joinList, notEmpty, pageJoined, parentNotFound, plural } from "./common";
import { lockZone } from "./zones";

export type Pod = typeof pods.$inferSelect;

const podCounts = {
  clusterCount: sql<number>`(select count(*)::int from "clusters" where "clusters"."pod_id" = "pods"."id")`.mapWith(Number),
  hostCount: sql<number>`(select count(*)::int from "hosts" where "hosts"."pod_id" = "pods"."id")`.mapWith(Number),
};
const podRow = { ...getTableColumns(pods), zoneName: zones.name, ...podCounts };
export type PodRow = Pod & { zoneName: string; clusterCount: number; hostCount: number };

export async function getPod(db: DbOrTx, caller: Caller, id: string): Promise<PodRow> {
  assertInfra(caller, "read");
  const [p] = await db.select(podRow).from(pods).innerJoin(zones, eq(zones.id, pods.zoneId)).where(eq(pods.id, id));
  if (!p) throw notFound("Pod");
  return p;
}

/** Sort keys of the list (the router validates `sort` against them) and their columns. */
export const podSort = {
  name: pods.name,
  zoneName: zones.name,
  state: pods.state,
  createdAt: pods.createdAt,
  clusterCount: podCounts.clusterCount,
  hostCount: podCounts.hostCount,
};

export async function listPods(db: DbOrTx, caller: Caller, input: PageInput & { zoneId?: string; state?: AllocationState }) {
  assertInfra(caller, "read");
  const conds: (SQL | undefined)[] = [];
  if (input.zoneId) conds.push(eq(pods.zoneId, input.zoneId));
  if (input.state) conds.push(eq(pods.state, input.state));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(pods.name, q), ilike(zones.name, q)));
  }
  const where = and(...conds);
  return pageJoined<PodRow>(
    input,
    podSort,
    [asc(zones.name), asc(pods.name)],
    pods.id,
    (order, limit, offset) =>
      db
        .select(podRow)
        .from(pods)
        .innerJoin(zones, eq(zones.id, pods.zoneId))
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    async () => (await db.select({ n: count() }).from(pods).innerJoin(zones, eq(zones.id, pods.zoneId)).where(where))[0]?.n ?? 0,
  );
}

/** Pod names are unique within their zone; the caller holds the zone's row lock. */
async function assertPodNameFree(tx: DbOrTx, zone: { id: string; name: string }, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: pods.id })
    .from(pods)
    .where(and(eq(pods.zoneId, zone.id), eq(pods.name, name), exceptId ? ne(pods.id, exceptId) : undefined));
  if (taken) throw conflict(`Zone ${zone.name} already has a pod named "${name}"`, "name");
}

export async function createPod(db: Db, caller: Caller, input: CreatePodInput): Promise<Pod> {
  assertInfra(caller, "manage");
  return db.transaction(async (tx) => {
    const zone = await lockZone(tx, input.zoneId);
    if (!zone) throw parentNotFound("Zone", "zoneId");
    await assertPodNameFree(tx, zone, input.name);
    const [p] = await tx.insert(pods).values({ zoneId: zone.id, name: input.name }).returning();
    await infraEvent(tx, caller, {
      type: "POD.CREATE",
      description: `Created pod ${p!.name} in zone ${zone.name}`,
      resourceType: "pod",
      resourceId: p!.id,
    });
    return p!;
  });
}

export async function updatePod(db: Db, caller: Caller, input: UpdatePodInput): Promise<Pod> {
  assertInfra(caller, "manage");
  const p = await getPod(db, caller, input.id);
  if (input.name === undefined || input.name === p.name) return p;
  const name = input.name;
  return db.transaction(async (tx) => {
    const zone = await lockZone(tx, p.zoneId);
    if (!zone) throw notFound("Zone");
    await assertPodNameFree(tx, zone, name, p.id);
    const [updated] = await tx.update(pods).set({ name }).where(eq(pods.id, p.id)).returning();
    if (!updated) throw notFound("Pod");
    await infraEvent(tx, caller, {
      type: "POD.UPDATE",
      description: `Renamed pod ${p.name} in zone ${zone.name} to ${name}`,
      resourceType: "pod",
      resourceId: p.id,
      details: { changes: changes(p, { name }) },
    });
    return updated;
  });
}

export async function setPodState(db: Db, caller: Caller, input: { id: string; state: AllocationState }): Promise<Pod> {
  assertInfra(caller, "manage");
  const p = await getPod(db, caller, input.id);
  if (p.state === input.state) return p;
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(pods).set({ state: input.state }).where(eq(pods.id, p.id)).returning();
    if (!updated) throw notFound("Pod");
    await infraEvent(tx, caller, {
      type: input.state === "enabled" ? "POD.ENABLE" : "POD.DISABLE",
      description: `${input.state === "enabled" ? "Enabled" : "Disabled"} pod ${p.name} in zone ${p.zoneName}`,
      resourceType: "pod",
      resourceId: p.id,
    });
    return updated;
  });
}

export async function deletePod(db: Db, caller: Caller, id: string): Promise<void> {
  assertInfra(caller, "manage");
  const p = await getPod(db, caller, id);
  const blockers = [p.clusterCount ? plural(p.clusterCount, "cluster") : "", p.hostCount ? plural(p.hostCount, "host") : ""].filter(
    Boolean,
  );
  if (blockers.length) throw notEmpty(`Pod ${p.name} still has ${joinList(blockers)}; delete them first`);
  try {
    await db.transaction(async (tx) => {
      await tx.delete(pods).where(eq(pods.id, p.id));
      await infraEvent(tx, caller, {
        type: "POD.DELETE",
        description: `Deleted pod ${p.name} from zone ${p.zoneName}`,
        resourceType: "pod",
        resourceId: p.id,
      });
    });
  } catch (e) {
    if (isFkViolation(e)) throw notEmpty(`Pod ${p.name} is still in use (something was added to it meanwhile); delete what it holds first`);
    throw e;
  }
}

/** Locks a pod row for the rest of the transaction (serialises name checks of its clusters). */
export async function lockPod(tx: DbOrTx, id: string): Promise<Pod | undefined> {
  const [p] = await tx.select().from(pods).where(eq(pods.id, id)).for("update");
  return p;
}
