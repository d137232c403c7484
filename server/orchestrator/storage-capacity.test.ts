import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { instances, secondaryStores, simulatorVolumes, storagePools, templates, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";

/**
 * Storage capacity tells the truth: every root disk is counted on a primary storage pool from
 * deploy to expunge (atomically, so a full pool refuses a deploy), the pool's real bytes on disk are
 * measured on demand, and secondary storage's use is the templates' stored sizes; the capacity page
 * shows them.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const pool = async () => (await h.db.select().from(storagePools).where(eq(storagePools.name, "primary-1")))[0]!;
const zoneSummary = async () => (await api(h.db, t.callers.admin).capacity.summary()).find((z) => z.name === "Zone 1")!;

describe(`storage capacity (${testDbKind()})`, () => {
  it("counts root disks on the pool from deploy to expunge, and shows it on the capacity page", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const choices = await deployChoicesByName(h.db, "Small", "Debian 12"); // a 10 GiB template
    const deployed = await tenant.instance.deploy({ ...choices, name: "disk", count: 2 });
    for (const d of deployed) expect((await waitForJob(h.db, d.jobId)).status).toBe("succeeded");
    const p = await pool();
    expect(p.usedGib).toBe(20);
    for (const d of deployed) {
      const [root] = await h.db.select().from(volumes).where(eq(volumes.instanceId, d.id));
      expect([root!.type, root!.storagePoolId, root!.sizeGib, root!.state]).toEqual(["root", p.id, 10, "ready"]);
    }
    expect((await zoneSummary()).primaryStorageGib).toEqual({
      used: 20,
      total: p.capacityGib,
      physical: p.capacityGib,
      actualBytes: null,
      measuredAt: null,
    });
    // Measured on demand: the bytes the pool's disks really take (thin: far less than 20 GiB).
    await h.db
      .update(simulatorVolumes)
      .set({ allocationBytes: 300 * 1024 ** 2 })
      .where(eq(simulatorVolumes.poolId, p.id));
    const measured = await api(h.db, t.callers.admin).storagePool.measure({ id: p.id });
    expect(measured.actualBytes).toBe(2 * 300 * 1024 ** 2);
    expect(measured.actualBytesAt).toBeInstanceOf(Date);
    expect((await zoneSummary()).primaryStorageGib).toMatchObject({ used: 20, actualBytes: 600 * 1024 ** 2 });
    const denied = await api(h.db, t.callers.tenant)
      .storagePool.measure({ id: p.id })
      .catch((e: TRPCError) => e);
    expect((denied as TRPCError).code).toBe("FORBIDDEN");

    // Stopped or destroyed, the disk still exists; expunged, it is gone.
    const [a] = deployed;
    await waitForJob(h.db, (await tenant.instance.destroy({ id: a!.id })).jobId);
    expect((await pool()).usedGib).toBe(20);
    expect((await waitForJob(h.db, (await tenant.instance.expunge({ id: a!.id })).jobId)).status).toBe("succeeded");
    expect((await pool()).usedGib).toBe(10);
    expect((await zoneSummary()).primaryStorageGib.used).toBe(10);
  });

  it("a pool without room refuses the deploy, naming the storage, and nothing is left behind", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const choices = await deployChoicesByName(h.db, "Small", "Debian 12");
    const before = await pool();
    await h.db
      .update(storagePools)
      .set({ capacityGib: before.usedGib + 15 })
      .where(eq(storagePools.id, before.id));
    try {
      const err = await tenant.instance.deploy({ ...choices, name: "too-big", count: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe("PRECONDITION_FAILED");
      expect((err as TRPCError).message).toMatch(/No primary storage has room for this VM: its root disk needs 10 GiB/);
      expect((await pool()).usedGib).toBe(before.usedGib);
      expect(await h.db.select().from(instances).where(eq(instances.name, "too-big-1"))).toEqual([]);
      // One still fits.
      const [one] = await tenant.instance.deploy({ ...choices, name: "fits" });
      expect((await waitForJob(h.db, one!.jobId)).status).toBe("succeeded");
      expect((await pool()).usedGib).toBe(before.usedGib + 10);
    } finally {
      await h.db.update(storagePools).set({ capacityGib: before.capacityGib }).where(eq(storagePools.id, before.id));
    }
  });

  it("secondary storage's use is the stored sizes of the templates registered on it", async () => {
    const admin = api(h.db, t.callers.admin);
    const [store] = await h.db.select().from(secondaryStores).where(eq(secondaryStores.name, "secondary-1"));
    expect((await zoneSummary()).secondaryStorageGib).toEqual({ used: 0, total: store!.capacityGib });
    for (const [name, sizeGib] of [
      ["CentOS", 8],
      ["Alpine", 2],
    ] as const) {
      await admin.template.register({
        name,
        hypervisorType: "simulator",
        format: "simulator",
        secondaryStoreId: store!.id,
        path: `sim://templates/${name}`,
        sizeGib,
        osType: "Other Linux (64-bit)",
        isPublic: true,
      });
    }
    expect((await zoneSummary()).secondaryStorageGib).toEqual({ used: 10, total: store!.capacityGib });
    const [zone] = await admin.zone.capacity({ zoneId: store!.zoneId });
    expect(zone!.secondaryStorageGib.used).toBe(10);
    // An image stored on the store counts by its stored size, not its virtual size.
    await h.db
      .update(templates)
      .set({ storedBytes: 512 * 1024 ** 2 })
      .where(eq(templates.name, "CentOS"));
    expect((await zoneSummary()).secondaryStorageGib.used).toBe(2.5);
  });
});
