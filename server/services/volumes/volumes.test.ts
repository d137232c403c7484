import { TRPCError } from "@trpc/server";
import { and, eq, ne, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db";
import { diskOfferings, resourceCounters, simulatorVolumes, storagePools, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, injectFault, clearFaults, testWorkers, usageSequence, waitForJob } from "@/test/orchestrator";
import { accountLimits } from "@/server/core/limits";

/**
 * Volumes on the simulator, through the real router: ROOT volumes made by deploys, data volumes
 * created, attached, resized, detached, destroyed, recovered and expunged, with limits, pool GiB
 * and usage facts moving exactly once each, and other tenants' objects NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let zoneId: string;
let smallDisk: string;
let customDisk: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  zoneId = (await deployChoicesByName(h.db)).zoneId;
  const byName = async (n: string) => (await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, n)))[0]!.id;
  smallDisk = await byName("Small disk");
  customDisk = await byName("Custom disk");
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const used = async (type: string, accountId = t.tenantAccount.id) =>
  (await accountLimits(h.db, accountId)).find((r) => r.resourceType === type)!.used;
const volumeRow = async (id: string) => (await h.db.select().from(volumes).where(eq(volumes.id, id)))[0]!;
const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
};
async function ok(p: Promise<{ jobId: string }>) {
  const r = await p;
  const job = await waitForJob(h.db, r.jobId);
  expect(job.status, job.error ?? "").toBe("succeeded");
  return r;
}

/** Every pool's used_gib equals the sizes of the volumes on it (none expunged): the pool truth comes from volumes. */
async function poolDrift(db: Db): Promise<string[]> {
  const rows = await db.execute<{ name: string; used: number; sum: number }>(sql`
    select p.name, p.used_gib::int as used, coalesce(sum(v.size_gib), 0)::int as sum
    from storage_pools p left join volumes v on v.storage_pool_id = p.id and v.state <> 'expunged'
    group by p.id, p.name, p.used_gib`);
  const list =
    (rows as { rows?: { name: string; used: number; sum: number }[] }).rows ?? (rows as { name: string; used: number; sum: number }[]);
  return list.filter((r) => Number(r.used) !== Number(r.sum)).map((r) => `${r.name}: used ${r.used}, volumes ${r.sum}`);
}

describe(`volumes on the simulator (${testDbKind()})`, () => {
  it("a deploy creates the ROOT volume, counts it once, and the pool's used GiB matches its volumes", async () => {
    const before = { volumes: await used("volumes"), gib: await used("primary_storage_gib") };
    const choices = await deployChoicesByName(h.db, "Small", "Debian 12"); // a 10 GiB template
    const tooSmall = await error(tenant().instance.deploy({ ...choices, name: "tiny-root", rootDiskGib: 5 }));
    expect([tooSmall.code, tooSmall.message]).toEqual(["BAD_REQUEST", "The root disk must be at least the 10 GiB of template Debian 12"]);
    const [vm] = await tenant().instance.deploy({ ...choices, name: "with-root", rootDiskGib: 25 });
    expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
    const [root] = await h.db.select().from(volumes).where(eq(volumes.instanceId, vm!.id));
    expect([root!.type, root!.state, root!.sizeGib, root!.deviceTarget]).toEqual(["root", "ready", 25, "vda"]);
    expect(root!.storagePoolId).not.toBeNull();
    expect({ volumes: await used("volumes"), gib: await used("primary_storage_gib") }).toEqual({
      volumes: before.volumes + 1,
      gib: before.gib + 25,
    });
    const [sim] = await h.db.select().from(simulatorVolumes).where(eq(simulatorVolumes.poolId, root!.storagePoolId!));
    expect(sim?.capacityBytes).toBe(25 * 1024 ** 3);
    expect(await usageSequence(h.db, root!.id)).toEqual(["VOLUME.CREATE"]);
    expect(await poolDrift(h.db)).toEqual([]);

    // Destroy, recover, destroy, expunge: limits given back and taken exactly once each, the pool at expunge.
    await ok(tenant().instance.destroy({ id: vm!.id }));
    expect((await volumeRow(root!.id)).state).toBe("destroyed");
    expect(await used("primary_storage_gib")).toBe(before.gib);
    await ok(tenant().instance.recover({ id: vm!.id }));
    expect([(await volumeRow(root!.id)).state, await used("primary_storage_gib")]).toEqual(["ready", before.gib + 25]);
    await ok(tenant().instance.destroy({ id: vm!.id }));
    await ok(tenant().instance.expunge({ id: vm!.id }));
    const gone = await volumeRow(root!.id);
    expect([gone.state, gone.storagePoolId]).toEqual(["expunged", null]);
    expect({ volumes: await used("volumes"), gib: await used("primary_storage_gib") }).toEqual(before);
    expect(await usageSequence(h.db, root!.id)).toEqual(["VOLUME.CREATE", "VOLUME.DELETE", "VOLUME.CREATE", "VOLUME.DELETE"]);
    expect(await h.db.select().from(simulatorVolumes).where(eq(simulatorVolumes.poolId, root!.storagePoolId!))).toEqual([]);
    expect(await poolDrift(h.db)).toEqual([]);
  });

  it("creates a data volume, attaches it to a running VM, grows it online, refuses to shrink, detaches it", async () => {
    const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "app" });
    await waitForJob(h.db, vm!.jobId);
    const before = { volumes: await used("volumes"), gib: await used("primary_storage_gib") };
    const badSize = await error(tenant().volume.create({ name: "data", zoneId, diskOfferingId: customDisk, sizeGib: 5000 }));
    expect([badSize.code, badSize.message]).toEqual(["BAD_REQUEST", "Size must be between 1 and 1024 GiB for disk offering Custom disk"]);
    const created = await tenant().volume.create({ name: "data", zoneId, diskOfferingId: customDisk, sizeGib: 8 });
    let vol = await volumeRow(created.id);
    expect([vol.state, vol.storagePoolId, vol.sizeGib]).toEqual(["allocated", null, 8]);
    expect({ volumes: await used("volumes"), gib: await used("primary_storage_gib") }).toEqual({
      volumes: before.volumes + 1,
      gib: before.gib + 8,
    });

    await ok(tenant().volume.attach({ id: vol.id, instanceId: vm!.id }));
    vol = await volumeRow(vol.id);
    expect([vol.state, vol.instanceId, vol.deviceTarget]).toEqual(["ready", vm!.id, "vdb"]);
    const [sim] = await h.db
      .select()
      .from(simulatorVolumes)
      .where(and(eq(simulatorVolumes.poolId, vol.storagePoolId!), eq(simulatorVolumes.name, `vol-${vol.number}`)));
    expect([sim?.attachedVm?.startsWith("i-"), sim?.target]).toEqual([true, "vdb"]);
    expect(await poolDrift(h.db)).toEqual([]);

    const shrink = await error(tenant().volume.resize({ id: vol.id, sizeGib: 4 }));
    expect(shrink.code).toBe("BAD_REQUEST");
    expect(shrink.message).toMatch(/^Volume data is 8 GiB and cannot shrink to 4 GiB: shrinking would cut off data/);
    await ok(tenant().volume.resize({ id: vol.id, sizeGib: 12 }));
    expect([(await volumeRow(vol.id)).sizeGib, await used("primary_storage_gib")]).toEqual([12, before.gib + 12]);
    expect(
      (
        await h.db
          .select()
          .from(simulatorVolumes)
          .where(eq(simulatorVolumes.name, `vol-${vol.number}`))
      )[0]!.capacityBytes,
    ).toBe(12 * 1024 ** 3);
    expect(await poolDrift(h.db)).toEqual([]);

    const busy = await error(tenant().volume.destroy({ id: vol.id }));
    expect([busy.code, busy.message]).toEqual(["CONFLICT", "Detach volume data before destroying it"]);
    await ok(tenant().volume.detach({ id: vol.id }));
    vol = await volumeRow(vol.id);
    expect([vol.state, vol.instanceId, vol.deviceTarget]).toEqual(["ready", null, null]);
    expect(await usageSequence(h.db, vol.id)).toEqual(["VOLUME.CREATE", "VOLUME.RESIZE"]);
    const listed = await tenant().volume.list({ instanceId: vm!.id });
    expect(listed.items.map((v) => v.type)).toEqual(["root"]);
    expect(listed.items[0]!.poolName).toBeNull(); // pools are the root admin's
  });

  it("a failed resize gives back the pool GiB, the limit and the usage", async () => {
    const created = await tenant().volume.create({ name: "flaky", zoneId, diskOfferingId: smallDisk });
    const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "flaky-vm" });
    await waitForJob(h.db, vm!.jobId);
    await ok(tenant().volume.attach({ id: created.id, instanceId: vm!.id }));
    const gib = await used("primary_storage_gib");
    await injectFault(h.db, { operation: "resizeVolume", remaining: 1, message: "disk full" });
    try {
      const r = await tenant().volume.resize({ id: created.id, sizeGib: 30 });
      expect((await waitForJob(h.db, r.jobId)).status).toBe("failed");
    } finally {
      await clearFaults(h.db);
    }
    expect([(await volumeRow(created.id)).state, (await volumeRow(created.id)).sizeGib, await used("primary_storage_gib")]).toEqual([
      "ready",
      20,
      gib,
    ]);
    expect(await poolDrift(h.db)).toEqual([]);
  });

  it("destroy, recover and expunge give limits and pool GiB back exactly once", async () => {
    const created = await tenant().volume.create({ name: "scratch", zoneId, diskOfferingId: smallDisk });
    const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "scratch-vm" });
    await waitForJob(h.db, vm!.jobId);
    await ok(tenant().volume.attach({ id: created.id, instanceId: vm!.id }));
    await ok(tenant().volume.detach({ id: created.id }));
    const pool = async () =>
      (
        await h.db
          .select()
          .from(storagePools)
          .where(eq(storagePools.id, (await volumeRow(created.id)).storagePoolId!))
      )[0]!;
    const poolId = (await pool()).id;
    const poolBefore = (await pool()).usedGib;
    const gib = await used("primary_storage_gib");
    const count = await used("volumes");

    await ok(tenant().volume.destroy({ id: created.id }));
    expect([await used("volumes"), await used("primary_storage_gib")]).toEqual([count - 1, gib - 20]);
    const again = await error(tenant().volume.destroy({ id: created.id }));
    expect(again.code).toBe("CONFLICT");
    expect([await used("volumes"), await used("primary_storage_gib")]).toEqual([count - 1, gib - 20]);
    await ok(tenant().volume.recover({ id: created.id }));
    expect([(await volumeRow(created.id)).state, await used("volumes"), await used("primary_storage_gib")]).toEqual(["ready", count, gib]);
    await ok(tenant().volume.destroy({ id: created.id }));
    await ok(tenant().volume.expunge({ id: created.id }));
    const gone = await volumeRow(created.id);
    expect([gone.state, gone.storagePoolId, gone.removedAt !== null]).toEqual(["expunged", null, true]);
    expect([await used("volumes"), await used("primary_storage_gib")]).toEqual([count - 1, gib - 20]);
    expect((await h.db.select().from(storagePools).where(eq(storagePools.id, poolId)))[0]!.usedGib).toBe(poolBefore - 20);
    expect(await usageSequence(h.db, created.id)).toEqual(["VOLUME.CREATE", "VOLUME.DELETE", "VOLUME.CREATE", "VOLUME.DELETE"]);
    expect((await error(tenant().volume.get({ id: created.id }))).code).toBe("NOT_FOUND");
    expect(await poolDrift(h.db)).toEqual([]);
  });

  it("a VM of another account is NOT_FOUND to attach to, and another tenant cannot see the volume", async () => {
    const mine = await tenant().volume.create({ name: "private", zoneId, diskOfferingId: smallDisk });
    const other = api(h.db, t.callers.tenant2);
    const [theirs] = await other.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "theirs" });
    await waitForJob(h.db, theirs!.jobId);
    const e = await error(tenant().volume.attach({ id: mine.id, instanceId: theirs!.id }));
    expect([e.code, e.message]).toEqual(["NOT_FOUND", "Instance not found"]);
    expect((await error(other.volume.get({ id: mine.id }))).code).toBe("NOT_FOUND");
    expect((await error(other.volume.attach({ id: mine.id, instanceId: theirs!.id }))).code).toBe("NOT_FOUND");
    expect((await volumeRow(mine.id)).state).toBe("allocated");
    // The reseller above sees it; the sibling reseller does not.
    expect((await api(h.db, t.callers.reseller).volume.get({ id: mine.id })).name).toBe("private");
    expect((await error(api(h.db, t.callers.reseller2).volume.get({ id: mine.id }))).code).toBe("NOT_FOUND");
  });

  it("N concurrent creates against a volume limit: exactly the room left succeeds", async () => {
    const account = t.callers.tenant2.accountId;
    const count = await used("volumes", account);
    await h.db
      .update(resourceCounters)
      .set({ max: count + 3 })
      .where(and(eq(resourceCounters.accountId, account), eq(resourceCounters.resourceType, "volumes")));
    const other = api(h.db, t.callers.tenant2);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => other.volume.create({ name: `burst-${i}`, zoneId, diskOfferingId: smallDisk })),
    );
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r.reason as TRPCError).code);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(refused).toEqual(Array(5).fill("PRECONDITION_FAILED"));
    expect(await used("volumes", account)).toBe(count + 3);
    const rows = await h.db
      .select()
      .from(volumes)
      .where(and(eq(volumes.accountId, account), eq(volumes.type, "datadisk"), ne(volumes.state, "expunged")));
    expect(rows).toHaveLength(3);
    expect(await used("primary_storage_gib", account)).toBe(
      (
        await h.db
          .select({ s: sql<number>`sum(size_gib)::int` })
          .from(volumes)
          .where(and(eq(volumes.accountId, account), ne(volumes.state, "expunged"), ne(volumes.state, "destroyed")))
      )[0]!.s,
    );
  });

  it("a deploy with a data disk attaches it as vdb; the VM's expunge leaves it detached and ready", async () => {
    const before = { volumes: await used("volumes"), gib: await used("primary_storage_gib") };
    const [vm] = await tenant().instance.deploy({
      ...(await deployChoicesByName(h.db)),
      name: "with-data",
      dataDisk: { diskOfferingId: customDisk, sizeGib: 7 },
    });
    expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
    const rows = await h.db.select().from(volumes).where(eq(volumes.instanceId, vm!.id)).orderBy(volumes.deviceTarget);
    expect(rows.map((v) => [v.type, v.deviceTarget, v.state, v.sizeGib])).toEqual([
      ["root", "vda", "ready", 1],
      ["datadisk", "vdb", "ready", 7],
    ]);
    expect({ volumes: await used("volumes"), gib: await used("primary_storage_gib") }).toEqual({
      volumes: before.volumes + 2,
      gib: before.gib + 8,
    });
    const noSize = await error(
      tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "x", dataDisk: { diskOfferingId: customDisk } }),
    );
    expect([noSize.code, noSize.message, (noSize.cause as { field?: string }).field]).toEqual([
      "BAD_REQUEST",
      "Disk offering Custom disk needs a size between 1 and 1024 GiB",
      "dataDisk.sizeGib",
    ]);
    await ok(tenant().instance.destroy({ id: vm!.id }));
    await ok(tenant().instance.expunge({ id: vm!.id }));
    const data = await volumeRow(rows[1]!.id);
    expect([data.state, data.instanceId, data.deviceTarget]).toEqual(["ready", null, null]);
    // The data volume still counts; the root volume does not.
    expect({ volumes: await used("volumes"), gib: await used("primary_storage_gib") }).toEqual({
      volumes: before.volumes + 1,
      gib: before.gib + 7,
    });
    const rootErr = await error(tenant().volume.destroy({ id: rows[0]!.id }));
    expect(rootErr.code).toBe("NOT_FOUND"); // expunged with its VM
    expect(await poolDrift(h.db)).toEqual([]);
  });

  it("a root volume follows its VM, and only a root admin migrates volumes between pools", async () => {
    const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "mover" });
    await waitForJob(h.db, vm!.jobId);
    const [root] = await h.db.select().from(volumes).where(eq(volumes.instanceId, vm!.id));
    const attachRoot = await error(tenant().volume.detach({ id: root!.id }));
    expect([attachRoot.code, attachRoot.message]).toEqual([
      "BAD_REQUEST",
      `Volume ${root!.name} is the root disk of its instance: it is detached with the instance`,
    ]);
    const growRunning = await error(tenant().volume.resize({ id: root!.id, sizeGib: 5 }));
    expect([growRunning.code, growRunning.message]).toEqual([
      "CONFLICT",
      `Stop instance mover before resizing its root volume ${root!.name}`,
    ]);

    const admin = api(h.db, t.callers.admin);
    const source = (await h.db.select().from(storagePools).where(eq(storagePools.id, root!.storagePoolId!)))[0]!;
    const target = await admin.storagePool.create({
      zoneId,
      clusterId: source.clusterId,
      name: "primary-2",
      type: "simulator",
      path: "sim://primary-2",
      capacityGib: 100,
      tags: [],
    });
    const data = await tenant().volume.create({ name: "movable", zoneId, diskOfferingId: smallDisk, instanceId: vm!.id });
    await waitForJob(h.db, data.jobId);
    expect((await error(tenant().volume.migrate({ id: data.id, storagePoolId: target.id }))).code).toBe("FORBIDDEN");
    const running = await error(admin.volume.migrate({ id: data.id, storagePoolId: target.id }));
    expect([running.code, running.message]).toEqual(["CONFLICT", "Stop instance mover before migrating its volume movable"]);
    await ok(tenant().instance.stop({ id: vm!.id }));
    await ok(admin.volume.migrate({ id: data.id, storagePoolId: target.id }));
    const moved = await volumeRow(data.id);
    expect([moved.state, moved.storagePoolId, moved.instanceId]).toEqual(["ready", target.id, vm!.id]);
    const sims = await h.db
      .select()
      .from(simulatorVolumes)
      .where(eq(simulatorVolumes.name, `vol-${moved.number}`));
    expect(sims.map((v) => [v.poolId, v.target])).toEqual([[target.id, "vdb"]]);
    expect(await poolDrift(h.db)).toEqual([]);
    // Stopped, the root volume grows.
    await ok(tenant().volume.resize({ id: root!.id, sizeGib: 5 }));
    expect((await volumeRow(root!.id)).sizeGib).toBe(5);
    await ok(tenant().instance.start({ id: vm!.id }));
  });
});
