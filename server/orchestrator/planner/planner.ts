import { and, eq, notInArray, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { clusters, hosts, instances, pods, zones } from "@/db/schema";
import { ServiceError } from "@/server/core/errors";
import { type Candidate, rankCandidates, type Strategy } from "./rank";

export interface PlacementRequest {
  zoneId: string;
  accountId: string;
  cpuCores: number;
  cpuMhz: number;
  memoryMib: number;
  hostTags: readonly string[];
  /** Only hosts of this hypervisor (the template's); any when unset. */
  hypervisorType?: "simulator" | "kvm";
  /** Try this host first (a stopped VM's last host), if it is still feasible. */
  preferredHostId?: string | null;
  /** The zone's allocation algorithm, when the caller has already read the zone. */
  strategy?: Strategy;
}

export class InsufficientCapacityError extends ServiceError {
  constructor(detail: string) {
    super("PRECONDITION_FAILED", `No host has room for this VM: ${detail}`);
    this.name = "InsufficientCapacityError";
  }
}

const cpuCapacity = sql`(${hosts.cpuCores}::bigint * ${hosts.cpuMhz} * ${clusters.cpuOvercommit})`;
const memCapacity = sql`(${hosts.memoryMib} * ${clusters.memoryOvercommit})`;

/** Feasibility steps of the chain, as SQL conditions: each a small, named rule. */
const feasibility = {
  inZone: (r: PlacementRequest) => eq(hosts.zoneId, r.zoneId),
  hypervisor: (r: PlacementRequest) => (r.hypervisorType ? eq(hosts.hypervisorType, r.hypervisorType) : undefined),
  allocatable: () =>
    and(
      eq(hosts.state, "enabled"),
      eq(hosts.status, "up"),
      eq(clusters.state, "enabled"),
      eq(pods.state, "enabled"),
      eq(zones.state, "enabled"),
    ),
  tagged: (r: PlacementRequest) => (r.hostTags.length ? sql`${hosts.tags} @> ${sql`${`{${r.hostTags.join(",")}}`}::text[]`}` : undefined),
  fits: (r: PlacementRequest) =>
    and(
      sql`${hosts.cpuUsedMhz} + ${r.cpuCores * r.cpuMhz} <= ${cpuCapacity}`,
      sql`${hosts.memoryUsedMib} + ${r.memoryMib} <= ${memCapacity}`,
    ),
  notAvoided: (avoid: Set<string>) => (avoid.size ? notInArray(hosts.id, [...avoid]) : undefined),
};

/** How many candidates one round considers; a round that finds them all full re-queries. */
const ROUND = 32;

async function candidates(db: DbOrTx, r: PlacementRequest, strategy: Strategy, avoid: Set<string>): Promise<Candidate[]> {
  const conds: (SQL | undefined)[] = [
    feasibility.inZone(r),
    feasibility.hypervisor(r),
    feasibility.allocatable(),
    feasibility.tagged(r),
    feasibility.fits(r),
    feasibility.notAvoided(avoid),
  ];
  const accountVms =
    strategy === "user_dispersing"
      ? sql<number>`(select count(*)::int from ${instances} where ${instances.hostId} = ${hosts.id} and ${instances.accountId} = ${r.accountId} and ${instances.capacityReserved})`
      : sql<number>`0`;
  const order =
    strategy === "first_fit"
      ? // Names are unique: the zone's (zone_id, name) index gives this order, and the scan stops
        // after a round of feasible hosts instead of sorting the whole zone.
        sql`${hosts.name}`
      : strategy === "random"
        ? sql`random()`
        : sql`${accountVms}, ${memCapacity} - ${hosts.memoryUsedMib} desc`;
  const rows = await db
    .select({
      id: hosts.id,
      name: hosts.name,
      cpuFreeMhz: sql<number>`(${cpuCapacity} - ${hosts.cpuUsedMhz})::float8`,
      memoryFreeMib: sql<number>`(${memCapacity} - ${hosts.memoryUsedMib})::float8`,
      accountVms,
    })
    .from(hosts)
    .innerJoin(clusters, eq(clusters.id, hosts.clusterId))
    .innerJoin(pods, eq(pods.id, hosts.podId))
    .innerJoin(zones, eq(zones.id, hosts.zoneId))
    .where(and(...conds))
    .orderBy(order)
    .limit(ROUND);
  return rows.map((row) => ({
    ...row,
    cpuFreeMhz: Number(row.cpuFreeMhz),
    memoryFreeMib: Number(row.memoryFreeMib),
    accountVms: Number(row.accountVms),
  }));
}

/**
 * Reserves the request's CPU and memory on one host, if it still fits: a conditional update, so
 * under any concurrency a host's reserved total never exceeds capacity × over-provisioning.
 */
export async function reserveOnHost(
  db: DbOrTx,
  hostId: string,
  r: Pick<PlacementRequest, "cpuCores" | "cpuMhz" | "memoryMib">,
  opts: { skipLocked?: boolean } = {},
): Promise<boolean> {
  const cpu = r.cpuCores * r.cpuMhz;
  // skipLocked: a host another deploy is reserving right now is passed over instead of waited for.
  const target = opts.skipLocked ? sql`(select id from hosts where id = ${hostId} for no key update skip locked)` : sql`${hostId}`;
  const rows = await db.execute(sql`
    update hosts set cpu_used_mhz = hosts.cpu_used_mhz + ${cpu}, memory_used_mib = hosts.memory_used_mib + ${r.memoryMib}
    from clusters
    where hosts.id = ${target} and clusters.id = hosts.cluster_id
      and hosts.cpu_used_mhz + ${cpu} <= hosts.cpu_cores::bigint * hosts.cpu_mhz * clusters.cpu_overcommit
      and hosts.memory_used_mib + ${r.memoryMib} <= hosts.memory_mib * clusters.memory_overcommit
    returning hosts.id`);
  return rowsOf(rows).length > 0;
}

export async function releaseFromHost(db: DbOrTx, hostId: string, r: Pick<PlacementRequest, "cpuCores" | "cpuMhz" | "memoryMib">) {
  await db
    .update(hosts)
    .set({
      cpuUsedMhz: sql`greatest(${hosts.cpuUsedMhz} - ${r.cpuCores * r.cpuMhz}, 0)`,
      memoryUsedMib: sql`greatest(${hosts.memoryUsedMib} - ${r.memoryMib}, 0)`,
    })
    .where(eq(hosts.id, hostId));
}

/**
 * The planner, first half: zone → pod → cluster → host feasibility, ranked by the zone's strategy
 * (a stopped VM's last host first when it still qualifies). Reads only; takes no locks.
 */
export async function rankHosts(db: DbOrTx, r: PlacementRequest, avoid: Set<string> = new Set()): Promise<Candidate[]> {
  let strategy = r.strategy;
  if (!strategy) {
    const [zone] = await db.select({ algorithm: zones.allocationAlgorithm }).from(zones).where(eq(zones.id, r.zoneId));
    if (!zone) throw new ServiceError("NOT_FOUND", "Zone not found");
    strategy = zone.algorithm;
  }
  const ranked = rankCandidates(strategy, await candidates(db, r, strategy, avoid));
  if (r.preferredHostId && !avoid.has(r.preferredHostId)) {
    const i = ranked.findIndex((c) => c.id === r.preferredHostId);
    if (i > 0) ranked.unshift(...ranked.splice(i, 1));
  }
  return ranked;
}

/**
 * The planner, second half: reserve on the best candidate with a conditional update. A host that
 * turns out full (another deploy won the race) joins the avoid set and the next one is tried; when
 * a round is used up the hosts are read again. Call it late in the transaction: the reservation
 * row-locks the host until commit.
 */
export async function reserveAmong(db: DbOrTx, r: PlacementRequest, ranked: Candidate[]): Promise<{ hostId: string; hostName: string }> {
  const avoid = new Set<string>();
  let round = ranked;
  for (let i = 0; i < 8 && round.length > 0; i++) {
    // First without waiting: concurrent deploys spread over the best hosts instead of queueing on
    // the first one's row lock. Then, for hosts that were busy or full, waiting for the lock.
    for (const c of round) {
      if (await reserveOnHost(db, c.id, r, { skipLocked: true })) return { hostId: c.id, hostName: c.name };
    }
    for (const c of round) {
      if (await reserveOnHost(db, c.id, r)) return { hostId: c.id, hostName: c.name };
      avoid.add(c.id);
    }
    round = await rankHosts(db, r, avoid);
  }
  throw await insufficient(db, r);
}

export async function insufficient(db: DbOrTx, r: PlacementRequest) {
  const [zone] = await db.select({ name: zones.name }).from(zones).where(eq(zones.id, r.zoneId));
  const tags = r.hostTags.length ? ` with host tags ${r.hostTags.join(", ")}` : "";
  return new InsufficientCapacityError(
    `${r.cpuCores} vCPU × ${r.cpuMhz} MHz and ${r.memoryMib} MiB${tags} in zone ${zone?.name ?? r.zoneId}`,
  );
}

/** Rank and reserve in one call (for callers with nothing else to do in between). */
export async function planAndReserve(db: DbOrTx, r: PlacementRequest): Promise<{ hostId: string; hostName: string }> {
  return reserveAmong(db, r, await rankHosts(db, r));
}
