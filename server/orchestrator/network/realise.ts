import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { hosts, networks } from "@/db/schema";
import { driverFor } from "../drivers/registry";
import { hostRefOf } from "../drivers/host-ref";
import type { HostRef } from "../drivers/types";
import type { NetworkDriver, NetworkSpec } from "./spec";
import { buildNetworkSpec, memberHostIds, networkKey } from "@/server/orchestrator/network/build-spec";
import { networkEvent } from "@/server/core/events";

/**
 * Realising networks on hosts through a driver's NetworkDriver: the router on one host of the
 * zone (the first VM's host), the bridge alone on the other hosts that run its VMs. The spec is
 * always the whole desired state, built from the database just before it is applied.
 */

/** The host's driver as a NetworkDriver, or null when that driver does not realise networks (yet). */
export function networkDriverOf(host: Pick<HostRef, "hypervisorType">): NetworkDriver | null {
  const d = driverFor(host) as unknown as Partial<NetworkDriver>;
  return typeof d.applyNetwork === "function" && typeof d.checkNetwork === "function" && typeof d.destroyNetwork === "function"
    ? (d as NetworkDriver)
    : null;
}

async function hostRefs(db: Db, ids: string[]): Promise<HostRef[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(hosts).where(inArray(hosts.id, ids))).map(hostRefOf);
}

export interface Placement {
  spec: NetworkSpec;
  router: HostRef | null;
  members: HostRef[];
}

/** The network's spec, its router host and its member hosts (those running its VMs, router excluded). */
export async function placementOf(db: DbOrTx, networkId: string, extraMember?: string): Promise<Placement | null> {
  const spec = await buildNetworkSpec(db, networkId);
  const [n] = await db.select({ routerHostId: networks.routerHostId }).from(networks).where(eq(networks.id, networkId));
  if (!spec || !n) return null;
  const memberIds = new Set(await memberHostIds(db, networkId));
  if (extraMember) memberIds.add(extraMember);
  if (n.routerHostId) memberIds.delete(n.routerHostId);
  const [router] = n.routerHostId ? await hostRefs(db, [n.routerHostId]) : [];
  return { spec, router: router ?? null, members: await hostRefs(db, [...memberIds]) };
}

/** Applies the whole spec: router first, then members. Hosts whose driver has no networking are skipped. */
export async function applyPlacement(p: Placement) {
  if (p.router) await networkDriverOf(p.router)?.applyNetwork(p.router, p.spec, "router");
  for (const h of p.members) await networkDriverOf(h)?.applyNetwork(h, p.spec, "member");
}

/** Two placements are the same when they would put the same state on the same hosts. */
export const placementKey = (p: Placement) => JSON.stringify([p.spec, p.router?.id ?? null, p.members.map((h) => h.id).sort()]);

/**
 * Before a VM starts on `host`: each of its networks gets a router (on this host if it has none
 * yet, claimed with a conditional update so two first VMs pick one), the current spec (with this
 * VM's lease) on the router, and the bridge on this host. Allocated or shut-down networks become
 * Implemented.
 */
export async function implementNetworksFor(db: Db, networkIds: string[], host: HostRef) {
  for (const id of networkIds) {
    await db
      .update(networks)
      .set({ routerHostId: host.id })
      .where(and(eq(networks.id, id), isNull(networks.routerHostId)));
    const p = await placementOf(db, id, host.id);
    if (!p) continue;
    await applyPlacement(p);
    // Read after applying, as the conditional update below would: on the hot path (a network
    // already implemented) one read instead of a transaction of three round trips.
    const [now] = await db.select({ state: networks.state }).from(networks).where(eq(networks.id, id));
    if (now?.state !== "allocated" && now?.state !== "shutdown") continue;
    await db.transaction(async (tx) => {
      const [moved] = await tx
        .update(networks)
        .set({ state: "implemented", stateChangedAt: new Date() })
        .where(and(eq(networks.id, id), inArray(networks.state, ["allocated", "shutdown"])))
        .returning();
      if (moved)
        await networkEvent(
          tx,
          moved,
          "NETWORK.IMPLEMENTED",
          `Network ${moved.name} is implemented, its router on ${p.router?.name ?? host.name}`,
          { hostName: p.router?.name ?? host.name },
        );
    });
  }
}

/**
 * Removes the network from its router and member hosts and from every other host of its zone
 * (delete, shutdown): a host whose VMs of the network stopped or moved away is no member any more
 * but may still have the bridge. destroyNetwork is idempotent, so a host without it costs a check.
 */
export async function destroyPlacement(db: Db, p: Placement) {
  const [n] = await db.select({ zoneId: networks.zoneId }).from(networks).where(eq(networks.id, p.spec.id));
  const zoneHosts = n ? (await db.select().from(hosts).where(eq(hosts.zoneId, n.zoneId))).map(hostRefOf) : [];
  const placed = [...(p.router ? [p.router] : []), ...p.members];
  for (const h of placed) await networkDriverOf(h)?.destroyNetwork(h, { id: p.spec.id, key: p.spec.key });
  // The others only may hold a leftover bridge: one that does not answer does not stop the delete.
  for (const h of zoneHosts.filter((z) => !placed.some((x) => x.id === z.id)))
    await networkDriverOf(h)
      ?.destroyNetwork(h, { id: p.spec.id, key: p.spec.key })
      .catch(() => undefined);
}

/**
 * Before a host leaves the cloud, the networks of its zone leave it: routers (the next VM to start
 * on a network puts its router on its own host) and bridges left by VMs that have gone. A host
 * that does not answer keeps them (it is dead, or will be reinstalled); on one that answers, the
 * first failure stops the removal with an error naming the network, so the delete can be refused.
 * Returns the networks whose router was on the host, and whether the devices were removed.
 */
export async function removeNetworksFromHost(
  db: Db,
  host: HostRef & { zoneId: string; status: string },
): Promise<{ routed: string[]; removed: boolean }> {
  const inZone = await db
    .select({ id: networks.id, name: networks.name, number: networks.number, state: networks.state, routerHostId: networks.routerHostId })
    .from(networks)
    .where(eq(networks.zoneId, host.zoneId));
  const routed = inZone.filter((n) => n.routerHostId === host.id).map((n) => n.id);
  const placed = inZone.filter((x) => x.routerHostId === host.id || x.state === "implemented");
  if (placed.length === 0) return { routed, removed: true };
  const driver = networkDriverOf(host);
  if (!driver || host.status !== "up") return { routed, removed: false };
  for (const n of placed) {
    try {
      await driver.destroyNetwork(host, { id: n.id, key: networkKey(n) });
    } catch (e) {
      throw new Error(`network ${n.name} could not be removed from it: ${(e as Error).message}`);
    }
  }
  return { routed, removed: true };
}

/**
 * A network left without a router while its VMs run on other hosts (its router's host was
 * removed) gets it back at once, on the first of those hosts, as a VM start would place it.
 * Without running VMs it stays shut down until one starts.
 */
export async function replaceRouter(db: Db, networkId: string): Promise<void> {
  const [first] = await hostRefs(db, (await memberHostIds(db, networkId)).slice(0, 1));
  if (first) await implementNetworksFor(db, [networkId], first);
}
