import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { secondaryStores, zones } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import type { HostRef } from "@/server/orchestrator/drivers/types";
import { snapshotStoreFor, storeServes } from "./files";

let h: DbHandle;

beforeAll(async () => {
  h = await openTestDb();
  await seedTenancy(h.db);
});
afterAll(async () => h?.close());

const host = (hypervisorType: HostRef["hypervisorType"]): HostRef => ({ id: "h", name: "h", address: "x", hypervisorType });

it("snapshots go to a secondary store the volume's host can write: a directory for KVM, sim:// for the simulator", async () => {
  expect(storeServes("kvm", "/srv/secondary")).toBe(true);
  expect(storeServes("kvm", "sim://secondary")).toBe(false);
  expect(storeServes("simulator", "sim://secondary")).toBe(true);
  expect(storeServes("simulator", "/srv/secondary")).toBe(false);

  const [zone] = await h.db.select().from(zones).limit(1);
  const simStores = await h.db.select().from(secondaryStores).where(eq(secondaryStores.zoneId, zone!.id));
  expect(simStores.every((s) => s.path.startsWith("sim://"))).toBe(true);
  expect(await snapshotStoreFor(h.db, zone!.id, host("kvm"))).toBeNull();

  // An older directory store in the same zone: KVM hosts take it, simulator hosts keep their own.
  await h.db.insert(secondaryStores).values({
    zoneId: zone!.id,
    name: "nfs-1",
    path: "/srv/secondary",
    capacityGib: 100,
    createdAt: new Date("2020-01-01T00:00:00Z"),
  });
  expect((await snapshotStoreFor(h.db, zone!.id, host("kvm")))?.path).toBe("/srv/secondary");
  expect((await snapshotStoreFor(h.db, zone!.id, host("simulator")))?.path).toMatch(/^sim:\/\//);
});
