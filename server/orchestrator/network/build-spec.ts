import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { instances, networkOfferings, networks, nics, publicIpRanges, publicIps, zoneNetworkSettings } from "@/db/schema";
import type { NetworkSpec } from "@/server/orchestrator/network/spec";
import { rulesOf } from "./rules-spec";
import { parseIp } from "@/lib/ipv4";

/** The driver-side key of a network: base 36 of its sequence number (`[a-z0-9]{1,8}`), never a user's string. */
export const networkKey = (n: { number: number }) => n.number.toString(36);

/** A zone's network settings, with the defaults when none were saved. */
export async function zoneNetworkOf(db: DbOrTx, zoneId: string) {
  const [s] = await db.select().from(zoneNetworkSettings).where(eq(zoneNetworkSettings.zoneId, zoneId));
  return { guestCidr: s?.guestCidr ?? "10.1.1.0/24", publicBridge: s?.publicBridge ?? null, guestUplink: s?.guestUplink ?? null };
}

/**
 * The whole desired state of a network, from its rows: offering (services, egress, rate), zone
 * (traffic labels), VLAN, and a static DHCP lease per NIC of every VM not expunged (sorted, so the
 * same rows always give the same spec and the reconciler can compare).
 */
export async function buildNetworkSpec(db: DbOrTx, networkId: string): Promise<NetworkSpec | null> {
  const [row] = await db
    .select({ n: networks, o: networkOfferings })
    .from(networks)
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .where(eq(networks.id, networkId));
  if (!row) return null;
  const { n, o } = row;
  const zone = await zoneNetworkOf(db, n.zoneId);
  const leases = n.cidr
    ? (
        await db
          .select({ mac: nics.mac, ip: nics.ip, hostname: instances.name })
          .from(nics)
          .innerJoin(instances, eq(instances.id, nics.instanceId))
          .where(and(eq(nics.networkId, n.id), ne(instances.state, "expunged")))
          .orderBy(asc(nics.mac))
      )
        .filter((l) => l.ip !== null)
        .map((l) => ({ mac: l.mac, ip: l.ip!, hostname: l.hostname }))
        .sort((a, b) => parseIp(a.ip)! - parseIp(b.ip)!)
    : [];
  // The public side: every address the network holds, on the source-NAT address's range.
  const ips = await db
    .select({ address: publicIps.address, isSourceNat: publicIps.isSourceNat, range: publicIpRanges })
    .from(publicIps)
    .innerJoin(publicIpRanges, eq(publicIpRanges.id, publicIps.rangeId))
    .where(eq(publicIps.networkId, n.id));
  ips.sort((a, b) => parseIp(a.address)! - parseIp(b.address)!);
  const snat = ips.find((i) => i.isSourceNat) ?? ips[0];
  return {
    id: n.id,
    key: networkKey(n),
    type: o.guestType,
    segment: n.vlan === null ? null : { kind: "vlan", id: n.vlan },
    uplinks: { publicBridge: zone.publicBridge, guestUplink: zone.guestUplink },
    guest:
      o.guestType === "l2" || !n.cidr || !n.gateway
        ? null
        : {
            cidr: n.cidr,
            gateway: n.gateway,
            ...(n.routerIp ? { routerIp: n.routerIp } : {}),
            dnsDomain: n.dnsDomain,
            dhcp: o.services.includes("Dhcp"),
            dns: o.services.includes("Dns"),
            leases,
          },
    public:
      o.guestType === "isolated" && snat
        ? {
            gateway: snat.range.gateway,
            prefixLength: snat.range.prefixLength,
            vlan: snat.range.vlan,
            addresses: ips.map((i) => i.address),
            sourceNat: ips.find((i) => i.isSourceNat)?.address ?? null,
          }
        : null,
    egressDefault: o.egressDefault,
    rateLimitMbps: o.rateLimitMbps,
    rules: o.guestType === "isolated" ? await rulesOf(db, n.id) : [],
  };
}

/** The hosts that run VMs with a NIC on the network (members: they need its bridge). */
export async function memberHostIds(db: DbOrTx, networkId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ hostId: instances.hostId })
    .from(nics)
    .innerJoin(instances, eq(instances.id, nics.instanceId))
    .where(and(eq(nics.networkId, networkId), inArray(instances.state, ["starting", "running", "stopping"])));
  return rows.map((r) => r.hostId).filter((h): h is string => h !== null);
}
