import { sharedNetworkChoices } from "./shared";
import { and, asc, count, desc, eq, ilike, isNull, ne, or, inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, instances, jobs, networkOfferings, networks, nics, zones } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { networkScope } from "@/server/authz/scopes";
import { hostCount, parseCidr } from "@/lib/ipv4";
import type { NetworkState } from "@/lib/validation/networks";
import { listEvents } from "@/server/services/events";
import { activeJobsOf, sortColumn, type PageInput } from "@/server/services/paging";
import { accountOwner, pathIds } from "@/server/core/limits";
import { getInstanceInScope } from "@/server/services/instances/access";
import { getNetworkInScope } from "./operations";
import { nextFreeIp } from "./ipam";

export const networkSortable = {
  name: networks.name,
  state: networks.state,
  cidr: networks.cidr,
  vlan: networks.vlan,
  createdAt: networks.createdAt,
  zoneName: zones.name,
  accountName: accounts.name,
};

const columns = {
  id: networks.id,
  name: networks.name,
  state: networks.state,
  cidr: networks.cidr,
  gateway: networks.gateway,
  dnsDomain: networks.dnsDomain,
  vlan: networks.vlan,
  isDefault: networks.isDefault,
  createdAt: networks.createdAt,
  zoneId: networks.zoneId,
  zoneName: zones.name,
  accountId: networks.accountId,
  accountName: accounts.name,
  networkOfferingId: networks.networkOfferingId,
  offeringName: networkOfferings.name,
  guestType: networkOfferings.guestType,
  services: networkOfferings.services,
  egressDefault: networkOfferings.egressDefault,
  rateLimitMbps: networkOfferings.rateLimitMbps,
};

const base = (db: DbOrTx) =>
  db
    .select(columns)
    .from(networks)
    .innerJoin(zones, eq(zones.id, networks.zoneId))
    .innerJoin(accounts, eq(accounts.id, networks.accountId))
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId));

/** How many NICs each network holds. */
async function nicCounts(db: DbOrTx, ids: string[]) {
  if (ids.length === 0) return new Map<string, number>();
  const rows = await db.select({ id: nics.networkId, n: count() }).from(nics).where(inArray(nics.networkId, ids)).groupBy(nics.networkId);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

/** Networks in the caller's scope, one page, with NIC counts and the job in flight. */
export async function listNetworks(db: DbOrTx, caller: Caller, input: PageInput & { zoneId?: string; state?: NetworkState }) {
  const conds: (SQL | undefined)[] = [networkScope(caller)];
  if (input.zoneId) conds.push(eq(networks.zoneId, input.zoneId));
  if (input.state) conds.push(eq(networks.state, input.state));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(networks.name, q), ilike(networks.cidr, q)));
  }
  const where = and(...conds);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const col = sortColumn(networkSortable, input.sort);
  const dir = input.dir === "asc" ? asc : desc;
  const order = col ? [dir(col), desc(networks.id)] : [desc(networks.createdAt), desc(networks.id)];
  const [rows, [total]] = await Promise.all([
    base(db)
      .where(where)
      .orderBy(...order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(networks).where(where),
  ]);
  const ids = rows.map((r) => r.id);
  const [counts, active] = await Promise.all([nicCounts(db, ids), activeJobsOf(db, ids)]);
  return {
    items: rows.map((r) => ({ ...r, nicCount: counts.get(r.id) ?? 0, activeJob: active.get(r.id) ?? null })),
    total: Number(total?.n ?? 0),
    page,
    pageSize,
  };
}

/** One network with its VMs and their addresses, free address count, jobs and events. */
export async function getNetworkDetail(db: DbOrTx, caller: Caller, id: string) {
  const n = await getNetworkInScope(db, caller, id);
  const [[row], vms, recentJobs, events] = await Promise.all([
    base(db).where(eq(networks.id, n.id)),
    db
      .select({
        nicId: nics.id,
        instanceId: instances.id,
        instanceName: instances.name,
        instanceState: instances.state,
        ip: nics.ip,
        mac: nics.mac,
        deviceId: nics.deviceId,
      })
      .from(nics)
      .innerJoin(instances, eq(instances.id, nics.instanceId))
      .where(eq(nics.networkId, n.id))
      .orderBy(asc(nics.createdAt)),
    db.select().from(jobs).where(eq(jobs.resourceId, n.id)).orderBy(desc(jobs.createdAt)).limit(10),
    listEvents(db, caller, { resourceId: n.id, pageSize: 50 }),
  ]);
  const c = n.cidr ? parseCidr(n.cidr) : null;
  return {
    ...row!,
    // The router's host is infrastructure: the root admin's to see.
    routerHostId: isRootAdmin(caller) ? n.routerHostId : null,
    vms,
    addressesTotal: c ? hostCount(c) : null,
    addressesFree: c ? hostCount(c) - vms.filter((v) => v.ip).length : null,
    activeJob: recentJobs.find((j) => j.status === "queued" || j.status === "running") ?? null,
    recentJobs,
    events: events.items,
  };
}

/**
 * What the deploy wizard and the create form offer: the caller's networks in the zone (not being
 * deleted), with the address the next NIC would get, and the network offerings it may use.
 */
export async function networkChoices(db: DbOrTx, caller: Caller, zoneId: string) {
  const owner = await accountOwner(db, caller.accountId);
  const rows = await db
    .select({ id: networks.id, name: networks.name, cidr: networks.cidr, state: networks.state, isDefault: networks.isDefault })
    .from(networks)
    .where(and(eq(networks.accountId, owner.id), eq(networks.zoneId, zoneId), ne(networks.state, "destroying")))
    .orderBy(desc(networks.isDefault), asc(networks.name));
  const withNext = await Promise.all(rows.map(async (r) => ({ ...r, nextIp: await nextFreeIp(db, r) })));
  const offerings = await db
    .select({
      id: networkOfferings.id,
      name: networkOfferings.name,
      displayText: networkOfferings.displayText,
      guestType: networkOfferings.guestType,
      isDefault: networkOfferings.isDefault,
    })
    .from(networkOfferings)
    .where(
      and(
        eq(networkOfferings.state, "active"),
        ne(networkOfferings.guestType, "shared"),
        or(isNull(networkOfferings.domainId), inArray(networkOfferings.domainId, pathIds(owner.domainPath))),
      ),
    )
    .orderBy(desc(networkOfferings.isDefault), asc(networkOfferings.name));
  const hasDefault = rows.some((r) => r.isDefault);
  const defaultOffering = offerings.find((o) => o.isDefault);
  return {
    networks: withNext,
    /** Shared networks the account may use (root admin's, its domain inside their subtree); NICs there take security groups. */
    sharedNetworks: await sharedNetworkChoices(db, owner.id, zoneId),
    offerings,
    /** With no network picked, a deploy makes this one (the account's first in the zone). */
    defaultNetworkToCreate: hasDefault || !defaultOffering ? null : { name: `${owner.name}-network`, offeringName: defaultOffering.name },
  };
}

/** A VM's NICs with their networks (the instance page). */
export async function nicsOfInstance(db: DbOrTx, caller: Caller, instanceId: string) {
  const vm = await getInstanceInScope(db, caller, instanceId);
  return db
    .select({
      id: nics.id,
      deviceId: nics.deviceId,
      mac: nics.mac,
      ip: nics.ip,
      networkId: nics.networkId,
      networkName: networks.name,
      cidr: networks.cidr,
      gateway: networks.gateway,
    })
    .from(nics)
    .innerJoin(networks, eq(networks.id, nics.networkId))
    .where(eq(nics.instanceId, vm.id))
    .orderBy(asc(nics.deviceId));
}
