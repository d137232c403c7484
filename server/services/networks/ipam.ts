import { randomBytes } from "node:crypto";
import { and, eq, isNotNull, max, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { networks, nics, zoneVlanRanges } from "@/db/schema";
import { rowsOf } from "@/db/rows";
import { assignable, formatIp, parseCidr, parseIp } from "@/lib/ipv4";
import { badRequest, conflict, ServiceError } from "@/server/core/errors";
import { joinSecurityGroups } from "@/server/services/security-groups/membership";

/**
 * IPAM and VLAN allocation. Uniqueness is the database's: a unique constraint on (network, ip) and
 * on (zone, vlan). Allocation picks the lowest free value and inserts with ON CONFLICT DO NOTHING,
 * trying the next one when a concurrent transaction took it (no aborted transaction).
 * A new NIC's address is normally the first one above the network's highest that no concurrent
 * transaction is taking: each candidate is claimed with a transaction-scoped advisory lock tried
 * without waiting, so concurrent deploys on one network take consecutive addresses in one
 * statement each instead of queueing on one another's uncommitted row.
 */

export type Network = typeof networks.$inferSelect;
export type Nic = typeof nics.$inferSelect;

const ATTEMPTS = 64;

/** The lowest guest VLAN of the zone's ranges that no network holds; null when the zone has no ranges. */
export async function freeVlan(tx: DbOrTx, zoneId: string): Promise<number | null | "exhausted"> {
  const ranges = await tx.select().from(zoneVlanRanges).where(eq(zoneVlanRanges.zoneId, zoneId));
  if (ranges.length === 0) return null;
  const [row] = rowsOf<{ v: number }>(
    await tx.execute(sql`
      select v::int as v from ${zoneVlanRanges} r, generate_series(r.start_id, r.end_id) v
      where r.zone_id = ${zoneId}
        and not exists (select 1 from ${networks} n where n.zone_id = ${zoneId} and n.vlan = v)
      order by v limit 1`),
  );
  return row ? Number(row.v) : "exhausted";
}

/**
 * Inserts a network, taking a free VLAN of its zone; a concurrent insert that took the same id
 * makes this one try the next. Returns null when `ignoreOtherConflicts` and another unique rule
 * (the account's default network) refused it.
 */
export async function insertNetworkWithVlan(
  tx: DbOrTx,
  values: Omit<typeof networks.$inferInsert, "vlan">,
  opts: { ignoreOtherConflicts?: boolean } = {},
): Promise<Network | null> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const vlan = await freeVlan(tx, values.zoneId);
    if (vlan === "exhausted")
      throw new ServiceError(
        "PRECONDITION_FAILED",
        "The zone's guest VLAN ranges are exhausted; ask an administrator to add a range",
        "zoneId",
      );
    const q = tx.insert(networks).values({ ...values, vlan });
    const rows = opts.ignoreOtherConflicts
      ? await q.onConflictDoNothing().returning()
      : vlan === null
        ? await q.returning()
        : await q.onConflictDoNothing({ target: [networks.zoneId, networks.vlan] }).returning();
    if (rows[0]) return rows[0];
    if (opts.ignoreOtherConflicts) return null;
  }
  throw conflict("Could not allocate a guest VLAN: too many concurrent requests; try again");
}

/** A locally administered unicast MAC (02:…): the unique constraint refuses the rare repeat. */
export const newMac = () => ["02", "00", ...Array.from(randomBytes(4), (b) => b.toString(16).padStart(2, "0"))].join(":");

/** Addresses NICs hold on a network. */
async function usedIps(tx: DbOrTx, networkId: string): Promise<Set<number>> {
  const rows = await tx
    .select({ ip: nics.ip })
    .from(nics)
    .where(and(eq(nics.networkId, networkId), isNotNull(nics.ip)));
  return new Set(rows.map((r) => parseIp(r.ip!)!));
}

/**
 * The address a new NIC gets now: the one after the network's highest (one index probe), or, once
 * the top of the range is taken, the lowest free one (a scan, only then). Null when the network is full.
 */
export async function nextFreeIp(
  tx: DbOrTx,
  n: Pick<Network, "id" | "cidr"> & Partial<Pick<Network, "ipRangeStart" | "ipRangeEnd">>,
  skip: Set<number> = new Set(),
): Promise<string | null> {
  const cidr = n.cidr ? parseCidr(n.cidr) : null;
  if (!cidr) return null;
  const c = guestRange(cidr, n);
  const [top] = rowsOf<{ ip: string }>(
    await tx.execute(
      sql`select ${nics.ip} as ip from ${nics} where ${nics.networkId} = ${n.id} and ${nics.ip} is not null order by (${nics.ip}::inet) desc limit 1`,
    ),
  );
  for (let ip = Math.max(top ? parseIp(top.ip)! + 1 : 0, c.network + 2); ip < c.broadcast; ip++) if (!skip.has(ip)) return formatIp(ip);
  const used = await usedIps(tx, n.id);
  for (let ip = c.network + 2; ip < c.broadcast; ip++) if (!used.has(ip) && !skip.has(ip)) return formatIp(ip);
  return null;
}

/** How far above the highest address one statement looks for one that is free and not being taken. */
const CLAIM_WINDOW = 256;

/**
 * One statement: the first address above the network's highest (within the guest range) that no
 * NIC holds and no concurrent transaction is claiming (advisory lock on network and address, tried
 * without waiting, held until commit), inserted as the NIC. Null when the window holds none (the
 * top of the range is reached, or that many are in flight): the caller falls back to the scan.
 */
async function claimIpAboveTop(
  tx: DbOrTx,
  n: Pick<Network, "id" | "cidr"> & Partial<Pick<Network, "ipRangeStart" | "ipRangeEnd">>,
  v: { instanceId: string; deviceId: number; mac: string },
): Promise<Nic | null> {
  const cidr = n.cidr ? parseCidr(n.cidr) : null;
  if (!cidr) return null;
  const c = guestRange(cidr, n);
  // Above the gateway (network + 1) and below the broadcast address.
  const low = formatIp(c.network + 1);
  const high = formatIp(c.broadcast - 1);
  const [row] = rowsOf<{ id: string; ip: string; created_at: string | Date }>(
    await tx.execute(sql`
      insert into ${nics} (instance_id, network_id, device_id, mac, ip)
      select ${v.instanceId}, ${n.id}, ${v.deviceId}, ${v.mac}, host(c.ip)
      from (
        -- No ORDER BY: the series comes in order and LIMIT stops the filter at the first address
        -- that passes, so only that one's lock is taken (a sort would lock the whole window).
        select s.ip
        from (
          select (select greatest(
                   (select ${nics.ip}::inet from ${nics} where ${nics.networkId} = ${n.id} and ${nics.ip} is not null order by (${nics.ip}::inet) desc limit 1),
                   ${low}::inet)) + g as ip
          from generate_series(1, ${CLAIM_WINDOW}) g
        ) s
        where s.ip <= ${high}::inet
          and case when exists (select 1 from ${nics} x where x.network_id = ${n.id} and (x.ip::inet) = s.ip) then false
                   else pg_try_advisory_xact_lock(hashtext(${n.id}), (s.ip - '0.0.0.0'::inet - 2147483648)::int) end
        limit 1
      ) c
      on conflict (network_id, ip) do nothing
      returning id, ip, created_at`),
  );
  if (!row) return null;
  const { instanceId, deviceId, mac } = v;
  return {
    id: row.id,
    instanceId,
    networkId: n.id,
    deviceId,
    mac,
    ip: row.ip,
    lastTxBytes: null,
    lastRxBytes: null,
    trafficSampledAt: null,
    createdAt: new Date(row.created_at),
  };
}

/**
 * The addresses IPAM hands out, as `network + 2 .. broadcast - 1` bounds: the whole CIDR after the
 * gateway, or a shared network's guest range (its gateway and router are outside it).
 */
function guestRange(c: NonNullable<ReturnType<typeof parseCidr>>, n: Partial<Pick<Network, "ipRangeStart" | "ipRangeEnd">>) {
  if (!n.ipRangeStart || !n.ipRangeEnd) return c;
  return { ...c, network: parseIp(n.ipRangeStart)! - 2, broadcast: parseIp(n.ipRangeEnd)! + 1 };
}

/** Checks an address a tenant asked for: inside the network and not reserved. `field` names it in errors. */
export function checkRequestedIp(
  n: Pick<Network, "name" | "cidr" | "gateway"> & Partial<Pick<Network, "ipRangeStart" | "ipRangeEnd">>,
  ip: string,
  field: string,
): string {
  const c = n.cidr ? parseCidr(n.cidr) : null;
  if (!c) throw badRequest(`Network ${n.name} has no IP addresses (L2): do not ask for one`, field);
  const v = parseIp(ip);
  if (v === null) throw badRequest(`${ip} is not an IPv4 address`, field);
  if (v < c.network || v > c.broadcast) throw badRequest(`${ip} is not in network ${n.name} (${n.cidr})`, field);
  if (!assignable(c, v)) throw badRequest(`${ip} is the network, broadcast or gateway address of ${n.name}; choose another address`, field);
  if (n.ipRangeStart && n.ipRangeEnd && (v < parseIp(n.ipRangeStart)! || v > parseIp(n.ipRangeEnd)!))
    throw badRequest(`${ip} is outside the guest range of ${n.name} (${n.ipRangeStart}-${n.ipRangeEnd})`, field);
  return formatIp(v);
}

/**
 * Gives the VM a NIC on the network: the requested address or the lowest free one. The network's
 * row is read FOR KEY SHARE, so a delete (FOR UPDATE) waits for this transaction or is seen.
 */
export async function allocateNic(
  tx: DbOrTx,
  networkId: string,
  instanceId: string,
  opts: { deviceId?: number; ip?: string; field?: string; securityGroupIds?: string[] } = {},
): Promise<Nic> {
  const nic = await insertNic(tx, networkId, instanceId, opts);
  await joinSecurityGroups(tx, nic, opts.securityGroupIds, opts.field ?? "securityGroupIds");
  return nic;
}

async function insertNic(
  tx: DbOrTx,
  networkId: string,
  instanceId: string,
  opts: { deviceId?: number; ip?: string; field?: string } = {},
): Promise<Nic> {
  const field = opts.field ?? "ip";
  const [n] = await tx.select().from(networks).where(eq(networks.id, networkId)).for("key share");
  if (!n) throw badRequest("Network not found", field);
  if (n.state === "destroying") throw conflict(`Network ${n.name} is being deleted`, field);
  const deviceId =
    opts.deviceId ??
    ((
      await tx
        .select({ m: max(nics.deviceId) })
        .from(nics)
        .where(eq(nics.instanceId, instanceId))
    )[0]?.m ?? -1) + 1;
  if (!n.cidr) {
    const [nic] = await tx.insert(nics).values({ instanceId, networkId, deviceId, mac: newMac(), ip: null }).returning();
    return nic!;
  }
  if (opts.ip) {
    const ip = checkRequestedIp(n, opts.ip, field);
    const [nic] = await tx
      .insert(nics)
      .values({ instanceId, networkId, deviceId, mac: newMac(), ip })
      .onConflictDoNothing({ target: [nics.networkId, nics.ip] })
      .returning();
    if (!nic) throw conflict(`${ip} is already in use in network ${n.name}; choose a free address`, field);
    return nic;
  }
  const mac = newMac();
  const fast = await claimIpAboveTop(tx, n, { instanceId, deviceId, mac });
  if (fast) return fast;
  const tried = new Set<number>();
  for (let i = 0; i < ATTEMPTS; i++) {
    const ip = await nextFreeIp(tx, n, tried);
    if (!ip) throw new ServiceError("PRECONDITION_FAILED", `Network ${n.name} (${n.cidr}) has no free address left`, field);
    const [nic] = await tx
      .insert(nics)
      .values({ instanceId, networkId, deviceId, mac: newMac(), ip })
      .onConflictDoNothing({ target: [nics.networkId, nics.ip] })
      .returning();
    if (nic) return nic;
    tried.add(parseIp(ip)!);
  }
  throw conflict(`Could not allocate an address in network ${n.name}: too many concurrent requests; try again`, field);
}
