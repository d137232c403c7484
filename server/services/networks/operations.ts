import { and, count, eq } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { networkOfferings, networks, nics } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { networkScope } from "@/server/authz/scopes";
import type { CreateNetworkInput } from "@/lib/validation/networks";
import { formatCidr, formatIp, gatewayOf, parseCidr } from "@/lib/ipv4";
import { conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { networkEvent } from "@/server/core/events";
import { accountOwner, consume, release } from "@/server/core/limits";
import { recordNetworkUsage } from "@/server/core/usage";
import { retryOnDeadlock } from "@/server/core/retry";
import { enqueueJob, recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { usableNetworkOffering } from "@/server/services/offerings/network";
import { getAccountInScope, refuseIfRemoving } from "@/server/services/accounts";
import { enabledZone } from "@/server/services/instances/access";
import { insertNetworkWithVlan, type Network } from "./ipam";
import { zoneNetworkOf } from "@/server/orchestrator/network/build-spec";
import { releaseNetworkPublicIps } from "./public-ips";
import { dropRulesOfNetwork } from "./rules";

/** The DNS domain a network gets unless its owner names one (CloudStack's cs<N>cloud.internal). */
const defaultDnsDomain = (accountName: string) =>
  `${
    accountName
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^-+|-+$/g, "") || "guest"
  }.internal`;

type Owner = Awaited<ReturnType<typeof accountOwner>>;

/** A network in the caller's scope (not being deleted counts too), or NOT_FOUND. */
export async function getNetworkInScope(db: DbOrTx, caller: Caller, id: string): Promise<Network> {
  const [n] = await db
    .select()
    .from(networks)
    .where(and(eq(networks.id, id), networkScope(caller)));
  if (!n) throw notFound("Network");
  return n;
}

/**
 * A network the account may put a NIC on: its own, or a shared one whose domain subtree holds the
 * account; in the zone, not being deleted. `field` names it in errors.
 */
export async function usableNetwork(db: DbOrTx, accountId: string, zoneId: string, id: string, field: string): Promise<Network> {
  const [row] = await db
    .select({ n: networks, guestType: networkOfferings.guestType })
    .from(networks)
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .where(eq(networks.id, id));
  const n =
    row && (row.n.accountId === accountId || (row.guestType === "shared" && (await sharedNetworkReaches(db, row.n, accountId))))
      ? row.n
      : null;
  if (!n) throw new ServiceError("NOT_FOUND", "Network not found", field);
  if (n.zoneId !== zoneId) throw new ServiceError("BAD_REQUEST", `Network ${n.name} is in another zone`, field);
  if (n.state === "destroying") throw conflict(`Network ${n.name} is being deleted`, field);
  return n;
}

/** Is the account inside the shared network's domain subtree? */
async function sharedNetworkReaches(db: DbOrTx, n: Network, accountId: string) {
  return (await accountOwner(db, accountId)).domainPath.startsWith(n.domainPath);
}

/** The guest side of a new network: CIDR (given or the zone's default), gateway = first address. */
async function guestSide(db: DbOrTx, guestType: string, zoneId: string, cidr: string | undefined) {
  if (guestType === "l2") {
    if (cidr) throw new ServiceError("BAD_REQUEST", "L2 networks have no addresses: leave CIDR empty", "cidr");
    return { cidr: null, gateway: null };
  }
  const c = parseCidr(cidr ?? (await zoneNetworkOf(db, zoneId)).guestCidr);
  if (!c) throw new ServiceError("BAD_REQUEST", "CIDR must be an IPv4 network like 10.1.1.0/24", "cidr");
  return { cidr: formatCidr(c), gateway: formatIp(gatewayOf(c)) };
}

/**
 * Creates an isolated (or L2) network for the caller's account, or for an account in an admin's
 * scope (CloudStack's account/domainid): Allocated until a VM needs it.
 */
export async function createNetwork(db: Db, caller: Caller, input: CreateNetworkInput) {
  if (input.accountId) refuseIfRemoving(await getAccountInScope(db, caller, input.accountId)); // a user's scope is its own account
  const owner = await accountOwner(db, input.accountId ?? caller.accountId);
  const zone = await enabledZone(db, input.zoneId);
  const offering = await usableNetworkOffering(db, input.networkOfferingId, owner.domainPath);
  if (offering.guestType === "shared")
    throw new ServiceError(
      "BAD_REQUEST",
      "Shared networks are created by administrators; choose an isolated or L2 offering",
      "networkOfferingId",
    );
  const guest = await guestSide(db, offering.guestType, zone.id, input.cidr);
  try {
    return await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const n = await insertNetworkWithVlan(tx, {
          name: input.name,
          accountId: owner.id,
          domainId: owner.domainId,
          domainPath: owner.domainPath,
          zoneId: zone.id,
          networkOfferingId: offering.id,
          ...guest,
          dnsDomain: input.dnsDomain ?? defaultDnsDomain(owner.name),
        });
        await countNewNetwork(tx, n!, owner, caller.userId);
        await consume(tx, owner.id, { networks: 1 }, { accountName: owner.name, domainPath: owner.domainPath });
        return n!;
      }),
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A network named "${input.name}" already exists in your account`, "name");
    throw e;
  }
}

/** The event and usage fact of a new network (its `networks` limit is consumed by the caller, in its one counter call). */
async function countNewNetwork(tx: DbOrTx, n: Network, owner: Owner, actor: string | null) {
  await networkEvent(tx, n, "NETWORK.CREATE", `Created network ${n.name} (${n.cidr ?? "L2"}${n.vlan === null ? "" : `, VLAN ${n.vlan}`})`, {
    actor,
  });
  await recordNetworkUsage(tx, "NETWORK.CREATE", n);
}

/**
 * The account's default network in the zone, made (isolated, default offering, zone CIDR) when it
 * has none yet: what CloudStack does on a first deploy. Returns whether it was created, so the
 * caller adds `networks: 1` to its one counter call. Two first deploys at once make one network:
 * the second one's insert waits for the first and then finds it.
 */
export async function ensureDefaultNetwork(
  tx: Tx,
  owner: Owner,
  zoneId: string,
  actor: string | null,
): Promise<{ network: Network; created: boolean } | null> {
  const find = async () =>
    (
      await tx
        .select()
        .from(networks)
        .where(and(eq(networks.accountId, owner.id), eq(networks.zoneId, zoneId), eq(networks.isDefault, true)))
    )[0];
  const existing = await find();
  if (existing) return existing.state === "destroying" ? null : { network: existing, created: false };
  const [offering] = await tx
    .select()
    .from(networkOfferings)
    .where(and(eq(networkOfferings.isDefault, true), eq(networkOfferings.state, "active")));
  if (!offering) return null;
  const guest = await guestSide(tx, offering.guestType, zoneId, undefined);
  for (let i = 0; i < 8; i++) {
    const n = await insertNetworkWithVlan(
      tx,
      {
        name: i === 0 ? `${owner.name}-network` : `${owner.name}-network-${i + 1}`,
        accountId: owner.id,
        domainId: owner.domainId,
        domainPath: owner.domainPath,
        zoneId,
        networkOfferingId: offering.id,
        ...guest,
        dnsDomain: defaultDnsDomain(owner.name),
        isDefault: true,
      },
      { ignoreOtherConflicts: true },
    );
    if (n) {
      await countNewNetwork(tx, n, owner, actor);
      return { network: n, created: true };
    }
    const other = await find();
    if (other) return { network: other, created: false };
  }
  throw conflict("Could not create the account's default network; try again");
}

const jobTarget = (n: Network, caller: Caller) => ({
  resourceType: "network",
  resourceId: n.id,
  accountId: n.accountId,
  domainPath: n.domainPath,
  userId: caller.userId,
});

/**
 * Deletes a network without NICs. One never implemented goes at once; one implemented is marked
 * Destroying and a network.delete job removes it from its hosts first. Its `networks` limit and
 * VLAN are given back when the row goes.
 */
export async function deleteNetwork(db: Db, caller: Caller, id: string) {
  return removeNetwork(db, await getNetworkInScope(db, caller, id), caller.userId);
}

/** deleteNetwork for a network already authorised (or the system's: an account's cleanup, with `actor` who asked). */
export async function removeNetwork(db: Db, n: Network, actor: string | null) {
  const target = { resourceType: "network", resourceId: n.id, accountId: n.accountId, domainPath: n.domainPath, userId: actor };
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      // FOR UPDATE waits for deploys holding the row FOR KEY SHARE (allocating a NIC), then sees their NICs.
      const [locked] = await tx.select().from(networks).where(eq(networks.id, n.id)).for("update");
      if (!locked) throw notFound("Network");
      if (locked.state === "destroying") throw conflict(`Network ${n.name} is already being deleted`);
      const [{ n: nicCount } = { n: 0 }] = await tx.select({ n: count() }).from(nics).where(eq(nics.networkId, n.id));
      if (nicCount > 0)
        throw new ServiceError(
          "PRECONDITION_FAILED",
          `Network ${n.name} still has ${nicCount} NIC${nicCount === 1 ? "" : "s"}; remove them or expunge their VMs first`,
        );
      if (locked.routerHostId === null) {
        await removeNetworkRow(tx, locked, actor);
        return { jobId: (await recordCompletedJob(tx, { ...target, type: "network.delete" })).id };
      }
      await tx.update(networks).set({ state: "destroying", stateChangedAt: new Date() }).where(eq(networks.id, n.id));
      await networkEvent(tx, locked, "NETWORK.DELETE", `Deleting network ${n.name}`, { actor });
      return { jobId: (await enqueueJob(tx, { ...target, type: "network.delete" })).id };
    }),
  );
}

/** The row goes, its limit and VLAN with it (counters last: the lock order). */
export async function removeNetworkRow(tx: Tx, n: Network, actor: string | null, key?: string) {
  await dropRulesOfNetwork(tx, n.id, actor, key);
  const ips = await releaseNetworkPublicIps(tx, n.id, key);
  await tx.delete(networks).where(eq(networks.id, n.id));
  await networkEvent(tx, n, "NETWORK.DELETED", `Network ${n.name} is deleted${ips ? ` with its ${ips} public address(es)` : ""}`, {
    actor,
  });
  await recordNetworkUsage(tx, "NETWORK.DELETE", n, { key });
  await release(tx, n.accountId, { networks: 1, public_ips: ips });
}

/** Re-applies the whole network on its router and member hosts (a network.restart job). */
export async function restartNetwork(db: Db, caller: Caller, id: string) {
  const n = await getNetworkInScope(db, caller, id);
  if (n.state !== "implemented")
    throw new ServiceError("CONFLICT", `Network ${n.name} is ${n.state}: only an implemented network (one a VM uses) can be restarted`);
  return db.transaction(async (tx) => {
    await networkEvent(tx, n, "NETWORK.RESTART", `Restarting network ${n.name}`, { actor: caller.userId });
    try {
      return { jobId: (await enqueueJob(tx, { ...jobTarget(n, caller), type: "network.restart" })).id };
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`Network ${n.name} is busy with another operation; try again when it is done`);
      throw e;
    }
  });
}
