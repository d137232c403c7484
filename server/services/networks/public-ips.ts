import { and, asc, count, eq, isNull, or, sql } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { domains, jobs, networkOfferings, networks, publicIpRanges, publicIps } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { publicIpScope } from "@/server/authz/scopes";
import { formatIp, parseIp } from "@/lib/ipv4";
import { conflict, isForeignKeyViolation, notFound, ServiceError } from "@/server/core/errors";
import { consume, release } from "@/server/core/limits";
import { retryOnDeadlock } from "@/server/core/retry";
import { recordPublicIpUsage } from "@/server/core/usage";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { assertInfra, infraEvent } from "@/server/services/infrastructure/common";
import { getZone, lockZone } from "@/server/services/infrastructure/zones";
import { networkEvent } from "@/server/core/events";
import { getNetworkInScope } from "./operations";
import { dropRulesOfPublicIp } from "./rules";

/**
 * Public IPs: a zone's ranges (root admin) and addresses acquired by isolated networks. The first
 * address of a network is its source-NAT address; an address is unique per zone by a constraint,
 * allocated lowest-free with ON CONFLICT DO NOTHING (as IPAM). An implemented network is applied
 * again (a network.restart job) so its router binds the new address.
 */

type PublicIp = typeof publicIps.$inferSelect;

// ---- ranges (root admin) ----

export async function listPublicIpRanges(db: DbOrTx, caller: Caller, zoneId: string) {
  const zone = await getZone(db, caller, zoneId);
  // One query: each range with the count of its addresses in use (a correlated count per row).
  const ranges = await db
    .select({
      r: publicIpRanges,
      domainName: domains.name,
      used: sql<number>`(select count(*) from ${publicIps} where ${publicIps.rangeId} = ${publicIpRanges.id})`.mapWith(Number),
    })
    .from(publicIpRanges)
    .leftJoin(domains, eq(domains.id, publicIpRanges.domainId))
    .where(eq(publicIpRanges.zoneId, zone.id))
    .orderBy(asc(publicIpRanges.createdAt));
  return ranges.map(({ r, domainName, used }) => ({ ...r, domainName, size: parseIp(r.endIp)! - parseIp(r.startIp)! + 1, used }));
}

export async function addPublicIpRange(
  db: Db,
  caller: Caller,
  input: {
    zoneId: string;
    gateway: string;
    prefixLength: number;
    vlan: number | null;
    startIp: string;
    endIp: string;
    domainId?: string | null;
  },
) {
  assertInfra(caller, "manage");
  const zone = await getZone(db, caller, input.zoneId);
  if (input.domainId) {
    const [d] = await db
      .select({ id: domains.id })
      .from(domains)
      .where(and(eq(domains.id, input.domainId), isNull(domains.removedAt)));
    if (!d) throw new ServiceError("NOT_FOUND", "Domain not found", "domainId");
  }
  const [a, b] = [parseIp(input.startIp)!, parseIp(input.endIp)!];
  await db.transaction(async (tx) => {
    await lockZone(tx, zone.id);
    for (const r of await tx.select().from(publicIpRanges).where(eq(publicIpRanges.zoneId, zone.id))) {
      if (parseIp(r.startIp)! <= b && parseIp(r.endIp)! >= a)
        throw new ServiceError("CONFLICT", `${input.startIp}-${input.endIp} overlaps the public range ${r.startIp}-${r.endIp}`, "startIp");
    }
    await tx.insert(publicIpRanges).values({ ...input, startIp: formatIp(a), endIp: formatIp(b), zoneId: zone.id });
    await infraEvent(tx, caller, {
      type: "ZONE.PUBLICIP.ADD",
      description: `Zone ${zone.name}: public addresses ${input.startIp}-${input.endIp} added`,
      resourceType: "zone",
      resourceId: zone.id,
    });
  });
  return listPublicIpRanges(db, caller, zone.id);
}

export async function removePublicIpRange(db: Db, caller: Caller, id: string) {
  assertInfra(caller, "manage");
  const [r] = await db.select().from(publicIpRanges).where(eq(publicIpRanges.id, id));
  if (!r) throw notFound("Public IP range");
  const zone = await getZone(db, caller, r.zoneId);
  try {
    await db.transaction(async (tx) => {
      await tx.delete(publicIpRanges).where(eq(publicIpRanges.id, r.id));
      await infraEvent(tx, caller, {
        type: "ZONE.PUBLICIP.REMOVE",
        description: `Zone ${zone.name}: public addresses ${r.startIp}-${r.endIp} removed`,
        resourceType: "zone",
        resourceId: zone.id,
      });
    });
  } catch (e) {
    if (isForeignKeyViolation(e))
      throw new ServiceError("PRECONDITION_FAILED", `Addresses of ${r.startIp}-${r.endIp} are in use; release them first`);
    throw e;
  }
  return listPublicIpRanges(db, caller, zone.id);
}

// ---- addresses of networks ----

export async function listPublicIps(db: DbOrTx, caller: Caller, networkId: string) {
  const n = await getNetworkInScope(db, caller, networkId);
  return db
    .select({ id: publicIps.id, address: publicIps.address, isSourceNat: publicIps.isSourceNat, createdAt: publicIps.createdAt })
    .from(publicIps)
    .where(and(eq(publicIps.networkId, n.id), publicIpScope(caller)))
    .orderBy(asc(publicIps.createdAt));
}

/**
 * The lowest free address a network of `domainPath` may take, with its range; null when none is
 * left. Ranges dedicated to its domain or an ancestor come first (as in CloudStack), then the
 * undedicated ones; ranges dedicated to other domains are never used.
 */
async function freePublicIp(tx: DbOrTx, zoneId: string, domainPath: string, skip: Set<number>) {
  const ranges = await tx
    .select()
    .from(publicIpRanges)
    .where(
      and(
        eq(publicIpRanges.zoneId, zoneId),
        or(isNull(publicIpRanges.domainId), sql`${domainPath} like '%/' || ${publicIpRanges.domainId}::text || '/%'`),
      ),
    )
    .orderBy(sql`${publicIpRanges.domainId} is null`, asc(publicIpRanges.startIp));
  const used = new Set(
    (await tx.select({ a: publicIps.address }).from(publicIps).where(eq(publicIps.zoneId, zoneId))).map((r) => parseIp(r.a)!),
  );
  for (const r of ranges)
    for (let ip = parseIp(r.startIp)!; ip <= parseIp(r.endIp)!; ip++)
      if (!used.has(ip) && !skip.has(ip)) return { range: r, address: formatIp(ip) };
  return null;
}

/**
 * Re-applies an implemented network (its router binds or drops addresses, its rules change); a job
 * already in flight will apply it anyway. Returns the job queued, if any.
 */
export async function reapply(tx: Tx, n: typeof networks.$inferSelect, actor: string | null): Promise<string | null> {
  if (n.state !== "implemented") return null;
  const [busy] = await tx
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.resourceId, n.id), sql`${jobs.status} in ('queued', 'running')`));
  if (busy) return busy.id;
  // In a savepoint: a job queued meanwhile (the one-per-resource index) leaves this change standing.
  return tx
    .transaction(async (sp) => {
      const job = await enqueueJob(sp, {
        type: "network.restart",
        resourceType: "network",
        resourceId: n.id,
        accountId: n.accountId,
        domainPath: n.domainPath,
        userId: actor,
      });
      return job.id;
    })
    .catch((e: unknown) => {
      if (!(e instanceof ServiceError && e.code === "CONFLICT")) throw e;
      return null;
    });
}

/** Acquires a public address for an isolated network; its first becomes the source-NAT address. */
export async function acquirePublicIp(db: Db, caller: Caller, networkId: string) {
  const n = await getNetworkInScope(db, caller, networkId);
  const [o] = await db.select().from(networkOfferings).where(eq(networkOfferings.id, n.networkOfferingId));
  if (o?.guestType !== "isolated")
    throw new ServiceError("BAD_REQUEST", `Network ${n.name} is not isolated: it has no router for public addresses`, "networkId");
  if (n.state === "destroying") throw conflict(`Network ${n.name} is being deleted`, "networkId");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      // One acquire per network at a time (decides which is the source NAT); NIC allocation (KEY SHARE) is not blocked.
      const [locked] = await tx.select().from(networks).where(eq(networks.id, n.id)).for("no key update");
      if (!locked || locked.state === "destroying") throw conflict(`Network ${n.name} is being deleted`, "networkId");
      const [{ n: held } = { n: 0 }] = await tx.select({ n: count() }).from(publicIps).where(eq(publicIps.networkId, n.id));
      const tried = new Set<number>();
      let ip: PublicIp | undefined;
      for (let i = 0; i < 64 && !ip; i++) {
        const free = await freePublicIp(tx, n.zoneId, n.domainPath, tried);
        if (!free)
          throw new ServiceError(
            "PRECONDITION_FAILED",
            "The zone has no free public address; ask an administrator to add a range",
            "networkId",
          );
        [ip] = await tx
          .insert(publicIps)
          .values({
            zoneId: n.zoneId,
            rangeId: free.range.id,
            address: free.address,
            networkId: n.id,
            accountId: n.accountId,
            domainId: n.domainId,
            domainPath: n.domainPath,
            isSourceNat: Number(held) === 0,
          })
          .onConflictDoNothing({ target: [publicIps.zoneId, publicIps.address] })
          .returning();
        tried.add(parseIp(free.address)!);
      }
      if (!ip) throw conflict("Could not acquire a public address: too many concurrent requests; try again", "networkId");
      await networkEvent(tx, n, "NET.IPASSIGN", `Acquired ${ip.address} for network ${n.name}${ip.isSourceNat ? " (source NAT)" : ""}`, {
        actor: caller.userId,
      });
      await recordPublicIpUsage(tx, "NET.IPASSIGN", ip);
      // Counters, then the job row: the lock order.
      await consume(tx, n.accountId, { public_ips: 1 });
      await reapply(tx, locked, caller.userId);
      return ip;
    }),
  );
}

/** Releases a public address; the source-NAT address goes only with its network (or as its last one). */
export async function releasePublicIp(db: Db, caller: Caller, id: string) {
  const [ip] = await db
    .select()
    .from(publicIps)
    .where(and(eq(publicIps.id, id), publicIpScope(caller)));
  if (!ip) throw notFound("Public IP");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const [n] = await tx.select().from(networks).where(eq(networks.id, ip.networkId)).for("no key update");
      if (!n) throw notFound("Public IP");
      const [{ n: held } = { n: 0 }] = await tx.select({ n: count() }).from(publicIps).where(eq(publicIps.networkId, n.id));
      if (ip.isSourceNat && Number(held) > 1)
        throw new ServiceError(
          "PRECONDITION_FAILED",
          `${ip.address} is the source-NAT address of ${n.name}; release the network's other addresses first`,
        );
      // Its rules go with it (their facts first: the FK cascade would drop them silently).
      await dropRulesOfPublicIp(tx, ip.id, caller.userId);
      const gone = await tx.delete(publicIps).where(eq(publicIps.id, ip.id)).returning();
      if (gone.length === 0) throw notFound("Public IP");
      await networkEvent(tx, n, "NET.IPRELEASE", `Released ${ip.address} of network ${n.name}`, { actor: caller.userId });
      await recordPublicIpUsage(tx, "NET.IPRELEASE", ip);
      await release(tx, n.accountId, { public_ips: 1 });
      await reapply(tx, n, caller.userId);
    }),
  );
}

/** A deleted network's addresses go with it (in its final transaction; the caller releases the limits). */
export async function releaseNetworkPublicIps(tx: DbOrTx, networkId: string, key?: string): Promise<number> {
  const gone = await tx.delete(publicIps).where(eq(publicIps.networkId, networkId)).returning();
  for (const ip of gone) await recordPublicIpUsage(tx, "NET.IPRELEASE", ip, { key: key ? `${key}:${ip.id}` : undefined });
  return gone.length;
}
