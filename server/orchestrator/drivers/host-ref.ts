import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts, storagePools } from "@/db/schema";
import type { HostRef } from "./types";

type HostRow = Pick<typeof hosts.$inferSelect, "id" | "name" | "address" | "hypervisorType" | "domainType" | "kvmAccelerated">;

/** What a driver needs of a host row: libvirt's domain type is the admin's override, else what the probe found. */
export function hostRefOf(h: HostRow): HostRef {
  return {
    id: h.id,
    name: h.name,
    address: h.address,
    hypervisorType: h.hypervisorType,
    domainType: h.hypervisorType === "kvm" ? (h.domainType ?? (h.kvmAccelerated ? "kvm" : "qemu")) : undefined,
  };
}

/** The driver's view of a host, read by id (null when the host is gone). */
export async function loadHostRef(db: DbOrTx, hostId: string | null): Promise<HostRef | null> {
  if (!hostId) return null;
  const [h] = await db.select().from(hosts).where(eq(hosts.id, hostId));
  return h ? hostRefOf(h) : null;
}

/** The primary storage a VM's volumes go to on a host: an enabled local directory of its cluster, else a zone-wide one. */
export async function primaryStorageFor(db: DbOrTx, host: { clusterId: string; zoneId: string }) {
  const [pool] = await db
    .select({ id: storagePools.id, path: storagePools.path, name: storagePools.name })
    .from(storagePools)
    .where(
      and(
        eq(storagePools.zoneId, host.zoneId),
        eq(storagePools.type, "local_dir"),
        eq(storagePools.state, "enabled"),
        or(eq(storagePools.clusterId, host.clusterId), isNull(storagePools.clusterId)),
      ),
    )
    .orderBy(sql`${storagePools.clusterId} is null`, asc(storagePools.name))
    .limit(1);
  return pool ?? null;
}
