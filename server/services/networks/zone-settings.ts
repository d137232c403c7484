import { and, asc, between, count, eq, gte, lte } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { networks, zoneNetworkSettings, zoneVlanRanges } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { notFound, ServiceError } from "@/server/core/errors";
import { assertInfra, infraEvent } from "@/server/services/infrastructure/common";
import { getZone, lockZone } from "@/server/services/infrastructure/zones";
import { zoneNetworkOf } from "@/server/orchestrator/network/build-spec";

/** A zone's network settings (root admin): default guest CIDR, traffic labels, guest VLAN ranges and their use. */
export async function getZoneNetwork(db: DbOrTx, caller: Caller, zoneId: string) {
  const zone = await getZone(db, caller, zoneId);
  const settings = await zoneNetworkOf(db, zone.id);
  const ranges = await db.select().from(zoneVlanRanges).where(eq(zoneVlanRanges.zoneId, zone.id)).orderBy(asc(zoneVlanRanges.startId));
  const withUse = await Promise.all(
    ranges.map(async (r) => {
      const [u] = await db
        .select({ n: count() })
        .from(networks)
        .where(and(eq(networks.zoneId, zone.id), between(networks.vlan, r.startId, r.endId)));
      return { ...r, size: r.endId - r.startId + 1, used: Number(u?.n ?? 0) };
    }),
  );
  return { zoneId: zone.id, zoneName: zone.name, ...settings, ranges: withUse };
}

export async function updateZoneNetwork(
  db: Db,
  caller: Caller,
  input: { zoneId: string; guestCidr: string; publicBridge: string | null; guestUplink: string | null },
) {
  assertInfra(caller, "manage");
  const zone = await getZone(db, caller, input.zoneId);
  const values = { guestCidr: input.guestCidr, publicBridge: input.publicBridge, guestUplink: input.guestUplink };
  await db.transaction(async (tx) => {
    await tx
      .insert(zoneNetworkSettings)
      .values({ zoneId: zone.id, ...values })
      .onConflictDoUpdate({ target: zoneNetworkSettings.zoneId, set: values });
    await infraEvent(tx, caller, {
      type: "ZONE.NETWORK.UPDATE",
      description: `Zone ${zone.name}: default guest CIDR ${input.guestCidr}, public bridge ${input.publicBridge ?? "none"}, guest uplink ${input.guestUplink ?? "none"}`,
      resourceType: "zone",
      resourceId: zone.id,
    });
  });
  return getZoneNetwork(db, caller, zone.id);
}

/** Adds a guest VLAN range; ranges of one zone never overlap (checked under the zone's row lock). */
export async function addVlanRange(db: Db, caller: Caller, input: { zoneId: string; startId: number; endId: number }) {
  assertInfra(caller, "manage");
  const zone = await getZone(db, caller, input.zoneId);
  await db.transaction(async (tx) => {
    await lockZone(tx, zone.id);
    const [overlap] = await tx
      .select()
      .from(zoneVlanRanges)
      .where(and(eq(zoneVlanRanges.zoneId, zone.id), lte(zoneVlanRanges.startId, input.endId), gte(zoneVlanRanges.endId, input.startId)));
    if (overlap)
      throw new ServiceError(
        "CONFLICT",
        `VLANs ${input.startId}-${input.endId} overlap the range ${overlap.startId}-${overlap.endId} of zone ${zone.name}`,
        "startId",
      );
    await tx.insert(zoneVlanRanges).values({ zoneId: zone.id, startId: input.startId, endId: input.endId });
    await infraEvent(tx, caller, {
      type: "ZONE.VLAN.ADD",
      description: `Zone ${zone.name}: guest VLANs ${input.startId}-${input.endId} added`,
      resourceType: "zone",
      resourceId: zone.id,
    });
  });
  return getZoneNetwork(db, caller, zone.id);
}

/** Removes a VLAN range no network uses. */
export async function removeVlanRange(db: Db, caller: Caller, id: string) {
  assertInfra(caller, "manage");
  const [r] = await db.select().from(zoneVlanRanges).where(eq(zoneVlanRanges.id, id));
  if (!r) throw notFound("VLAN range");
  const zone = await getZone(db, caller, r.zoneId);
  await db.transaction(async (tx) => {
    await lockZone(tx, zone.id);
    const [u] = await tx
      .select({ n: count() })
      .from(networks)
      .where(and(eq(networks.zoneId, zone.id), between(networks.vlan, r.startId, r.endId)));
    if (Number(u?.n ?? 0) > 0)
      throw new ServiceError("PRECONDITION_FAILED", `${u!.n} network(s) use VLANs of ${r.startId}-${r.endId}; delete them first`);
    await tx.delete(zoneVlanRanges).where(eq(zoneVlanRanges.id, r.id));
    await infraEvent(tx, caller, {
      type: "ZONE.VLAN.REMOVE",
      description: `Zone ${zone.name}: guest VLANs ${r.startId}-${r.endId} removed`,
      resourceType: "zone",
      resourceId: zone.id,
    });
  });
  return getZoneNetwork(db, caller, zone.id);
}
