import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { domains, networkOfferings, networks } from "@/db/schema";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { conflict, forbidden, isUniqueViolation, ServiceError } from "@/server/core/errors";
import { accountOwner } from "@/server/core/limits";
import { formatCidr, formatIp, parseCidr, parseIp } from "@/lib/ipv4";
import type { CreateSharedNetworkInput } from "@/lib/validation/shared-networks";
import { enabledZone } from "@/server/services/instances/access";
import { insertNetworkWithVlan, nextFreeIp, type Network } from "./ipam";
import { networkEvent } from "@/server/core/events";

/**
 * Shared networks (CloudStack's): made by the root admin on an existing router outside Stratus
 * (the gateway), usable by every account of a domain subtree. The network row belongs to the
 * admin's account and carries the subtree as its domain; Stratus's router there only serves
 * DHCP/DNS at `routerIp`, and guests get addresses from [ipRangeStart, ipRangeEnd]. No source
 * NAT, no public IPs; NICs are filtered by security groups. Not counted against account limits
 * (no account owns it, as in CloudStack).
 */
export async function createSharedNetwork(db: Db, caller: Caller, input: CreateSharedNetworkInput): Promise<Network> {
  if (!isRootAdmin(caller)) throw forbidden("Only the root administrator creates shared networks");
  const zone = await enabledZone(db, input.zoneId);
  const [offering] = await db.select().from(networkOfferings).where(eq(networkOfferings.id, input.networkOfferingId));
  if (!offering || offering.state !== "active") throw new ServiceError("NOT_FOUND", "Network offering not found", "networkOfferingId");
  if (offering.guestType !== "shared")
    throw new ServiceError(
      "BAD_REQUEST",
      `Offering ${offering.name} is ${offering.guestType}: choose a shared offering`,
      "networkOfferingId",
    );
  const admin = await accountOwner(db, caller.accountId);
  let scope = { id: admin.domainId, path: admin.domainPath };
  if (input.domainId) {
    const [d] = await db.select().from(domains).where(eq(domains.id, input.domainId));
    if (!d) throw new ServiceError("NOT_FOUND", "Domain not found", "domainId");
    scope = { id: d.id, path: d.path };
  }
  const c = parseCidr(input.cidr)!;
  const routerIp = input.routerIp ?? formatIp(c.broadcast - 1);
  const values = {
    name: input.name,
    accountId: admin.id,
    domainId: scope.id,
    domainPath: scope.path,
    zoneId: zone.id,
    networkOfferingId: offering.id,
    cidr: formatCidr(c),
    gateway: formatIp(parseIp(input.gateway)!),
    ipRangeStart: formatIp(parseIp(input.ipRangeStart)!),
    ipRangeEnd: formatIp(parseIp(input.ipRangeEnd)!),
    routerIp: formatIp(parseIp(routerIp)!),
    dnsDomain: input.dnsDomain ?? "shared.internal",
  };
  try {
    return await db.transaction(async (tx) => {
      const n =
        input.vlan === undefined
          ? await insertNetworkWithVlan(tx, values)
          : (
              await tx
                .insert(networks)
                .values({ ...values, vlan: input.vlan })
                .returning()
            )[0];
      await networkEvent(
        tx,
        n!,
        "NETWORK.CREATE",
        `Created shared network ${n!.name} (${n!.cidr}${n!.vlan === null ? "" : `, VLAN ${n!.vlan}`})`,
        {
          actor: caller.userId,
        },
      );
      return n!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      const msg = String((e as { message?: string }).message ?? "") + String((e as { cause?: { message?: string } }).cause?.message ?? "");
      if (/vlan/.test(msg)) throw conflict(`VLAN ${input.vlan} is already used by another network of the zone`, "vlan");
      throw conflict(`A network named "${input.name}" already exists in your account`, "name");
    }
    throw e;
  }
}

/** The shared networks of a zone the account may deploy on (its domain is inside their subtree), with the next free address. */
export async function sharedNetworkChoices(db: DbOrTx, accountId: string, zoneId: string) {
  const owner = await accountOwner(db, accountId);
  const ancestors = owner.domainPath.split("/").filter(Boolean);
  const paths = ancestors.map((_, i) => `/${ancestors.slice(0, i + 1).join("/")}/`);
  const rows = await db
    .select({ n: networks })
    .from(networks)
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .where(and(eq(networks.zoneId, zoneId), eq(networkOfferings.guestType, "shared"), inArray(networks.domainPath, paths)))
    .orderBy(asc(networks.name));
  return Promise.all(
    rows
      .filter((r) => r.n.state !== "destroying")
      .map(async ({ n }) => ({
        id: n.id,
        name: n.name,
        cidr: n.cidr,
        gateway: n.gateway,
        vlan: n.vlan,
        ipRangeStart: n.ipRangeStart,
        ipRangeEnd: n.ipRangeEnd,
        nextIp: await nextFreeIp(db, n),
      })),
  );
}

/** Every shared network (root admin's page). */
export async function listSharedNetworks(db: DbOrTx, caller: Caller) {
  if (!isRootAdmin(caller)) throw forbidden("Only the root administrator manages shared networks");
  const rows = await db
    .select({ n: networks, offering: networkOfferings.name, domain: domains.name })
    .from(networks)
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .innerJoin(domains, eq(domains.id, networks.domainId))
    .where(eq(networkOfferings.guestType, "shared"))
    .orderBy(asc(networks.name));
  return { items: rows.map((r) => ({ ...r.n, offeringName: r.offering, domainName: r.domain })) };
}
