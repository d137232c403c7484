import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { diskOfferings, instances, simulatorSnapshots, simulatorVolumes, snapshots, usageEvents, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { clearFaults, deployChoicesByName, injectFault, setSimLatency, testWorkers, usageSequence, waitForJob } from "@/test/orchestrator";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { accountLimits } from "@/server/core/limits";

/**
 * Volume snapshots on the simulator, through the real router: take, revert (refused while the VM
 * runs), delete, with the `snapshots` limit and the usage facts moving exactly once each, the limit
 * exact under concurrent takes, and other tenants' snapshots and volumes NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vmId: string;
let rootId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "snap-vm" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  vmId = vm!.id;
  rootId = (await h.db.select().from(volumes).where(eq(volumes.instanceId, vmId)))[0]!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const usedSnapshots = async () => (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === "snapshots")!.used;
const snapRow = async (id: string) => (await h.db.select().from(snapshots).where(eq(snapshots.id, id)))[0]!;
const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
};
async function ok<T extends { jobId: string }>(p: Promise<T>) {
  const r = await p;
  const job = await waitForJob(h.db, r.jobId);
  expect(job.status, job.error ?? "").toBe("succeeded");
  return r;
}

describe(`volume snapshots on the simulator (${testDbKind()})`, () => {
  it("takes, reverts (only with the VM stopped) and deletes, with the limit and usage facts once each", async () => {
    const before = await usedSnapshots();
    const taken = await ok(tenant().snapshot.take({ volumeId: rootId, name: "before-change" }));
    const snap = await snapRow(taken.id);
    expect([snap.state, snap.full, snap.policyId]).toEqual(["ready", true, null]);
    expect(snap.file).toMatch(new RegExp(`/snapshots/${rootId}/${snap.id}$`));
    const [sim] = await h.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, snap.id));
    expect(Number(snap.sizeBytes)).toBe(Number(sim!.allocationBytes));
    expect(await usedSnapshots()).toBe(before + 1);
    const [fact] = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, snap.id));
    expect([fact!.type, (fact!.details as { sizeBytes: number }).sizeBytes]).toEqual(["SNAPSHOT.CREATE", Number(snap.sizeBytes)]);
    expect((await tenant().snapshot.list({ volumeId: rootId })).map((s) => s.name)).toEqual(["before-change"]);

    // The volume changes after the snapshot; a revert brings its old state back.
    const root = (await h.db.select().from(volumes).where(eq(volumes.id, rootId)))[0]!;
    const [vm] = await h.db.select().from(instances).where(eq(instances.id, vmId));
    const simRoot = and(eq(simulatorVolumes.poolId, root.storagePoolId!), eq(simulatorVolumes.name, `${vmInternalName(vm!)}-root`));
    const [changed] = await h.db.update(simulatorVolumes).set({ allocationBytes: 123_456_789 }).where(simRoot).returning();
    expect(changed).toBeDefined();
    const running = await error(tenant().snapshot.revert({ id: snap.id }));
    expect([running.code, running.message]).toEqual([
      "CONFLICT",
      "Stop instance snap-vm before reverting volume " + root.name + ": it is running",
    ]);
    await ok(tenant().instance.stop({ id: vmId }));
    await setSimLatency(h.db, { restoreSnapshot: 600 }); // the revert is still at work when the start comes
    const reverting = await tenant().snapshot.revert({ id: snap.id });
    // While it reverts, the VM cannot start and no other snapshot job starts on the volume.
    const startRefused = await error(tenant().instance.start({ id: vmId }));
    const busy = await error(tenant().snapshot.take({ volumeId: rootId }));
    expect(busy.code).toBe("CONFLICT");
    expect((await waitForJob(h.db, reverting.jobId)).status).toBe("succeeded");
    await setSimLatency(h.db, {});
    expect([startRefused.code, startRefused.message]).toEqual([
      "CONFLICT",
      `Volume ${root.name} of snap-vm is being reverted to a snapshot; start it when that is done`,
    ]);
    const [simVol] = await h.db.select().from(simulatorVolumes).where(simRoot);
    expect(Number(simVol!.allocationBytes)).toBe(Number(sim!.allocationBytes));
    expect((await h.db.select().from(volumes).where(eq(volumes.id, rootId)))[0]!.state).toBe("ready");

    await ok(tenant().snapshot.delete({ id: snap.id }));
    expect((await snapRow(snap.id)).state).toBe("destroyed");
    expect(await usedSnapshots()).toBe(before);
    expect(await usageSequence(h.db, snap.id)).toEqual(["SNAPSHOT.CREATE", "SNAPSHOT.DELETE"]);
    expect(await h.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, snap.id))).toEqual([]);
    expect((await error(tenant().snapshot.delete({ id: snap.id }))).code).toBe("NOT_FOUND");
    expect(await tenant().snapshot.list({ volumeId: rootId })).toEqual([]);
  });

  it("counts against secondary storage: the volume's size while taken, the stored GiB once Ready, none after delete", async () => {
    const secondary = async () =>
      (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === "secondary_storage_gib")!.used;
    const root = (await h.db.select().from(volumes).where(eq(volumes.id, rootId)))[0]!;
    const before = await secondary();
    await setSimLatency(h.db, { takeSnapshot: 400 });
    const r = await tenant().snapshot.take({ volumeId: rootId });
    expect(await secondary()).toBe(before + root.sizeGib);
    expect((await waitForJob(h.db, r.jobId)).status).toBe("succeeded");
    await setSimLatency(h.db, {});
    const snap = await snapRow(r.id);
    const stored = Math.max(1, Math.ceil(Number(snap.sizeBytes) / 1024 ** 3));
    expect(snap.countedGib).toBe(stored);
    expect(await secondary()).toBe(before + stored);
    // A limit below the volume's size refuses the next take, changing nothing.
    await api(h.db, t.callers.admin).limit.setForAccount({
      accountId: t.tenantAccount.id,
      limits: { secondary_storage_gib: before + stored },
    });
    const refused = await error(tenant().snapshot.take({ volumeId: rootId }));
    expect(refused.message).toMatch(/secondary/i);
    await api(h.db, t.callers.admin).limit.setForAccount({ accountId: t.tenantAccount.id, limits: { secondary_storage_gib: 400 } });
    await ok(tenant().snapshot.delete({ id: r.id }));
    expect([(await snapRow(r.id)).countedGib, await secondary()]).toEqual([0, before]);
  });

  it("a take that fails leaves an Error snapshot that holds no limit", async () => {
    const before = await usedSnapshots();
    await injectFault(h.db, { operation: "takeSnapshot", remaining: 1, transient: false });
    const r = await tenant().snapshot.take({ volumeId: rootId });
    expect((await waitForJob(h.db, r.jobId)).status).toBe("failed");
    await clearFaults(h.db);
    expect((await snapRow(r.id)).state).toBe("error");
    expect((await snapRow(r.id)).countedGib).toBe(0);
    expect(await usedSnapshots()).toBe(before);
    await ok(tenant().snapshot.delete({ id: r.id }));
    expect(await usedSnapshots()).toBe(before);
    expect(await usageSequence(h.db, r.id)).toEqual([]);
  });

  it("the snapshots limit is exact under concurrent takes", async () => {
    const [small] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
    const zoneId = (await deployChoicesByName(h.db)).zoneId;
    const vols: string[] = [];
    for (let i = 0; i < 4; i++) {
      const v = await ok(tenant().volume.create({ name: `snap-data-${i}`, zoneId, diskOfferingId: small!.id, instanceId: vmId }));
      vols.push(v.id);
    }
    const before = await usedSnapshots();
    await api(h.db, t.callers.admin).limit.setForAccount({ accountId: t.tenantAccount.id, limits: { snapshots: before + 2 } });
    const results = await Promise.allSettled(vols.map((volumeId) => tenant().snapshot.take({ volumeId })));
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    expect(fulfilled).toHaveLength(2);
    for (const r of results) if (r.status === "rejected") expect(String((r.reason as Error).message)).toMatch(/snapshots/i);
    expect(await usedSnapshots()).toBe(before + 2);
    for (const r of fulfilled) expect((await waitForJob(h.db, r.value.jobId)).status).toBe("succeeded");
    const rows = await h.db
      .select()
      .from(snapshots)
      .where(and(eq(snapshots.accountId, t.tenantAccount.id), eq(snapshots.state, "ready")));
    expect(rows).toHaveLength(2);
    await api(h.db, t.callers.admin).limit.setForAccount({ accountId: t.tenantAccount.id, limits: { snapshots: 20 } });
  });

  it("another tenant's volumes and snapshots are NOT_FOUND", async () => {
    const [mine] = await tenant().snapshot.list({});
    expect(mine).toBeDefined();
    const other = api(h.db, t.callers.globex);
    const codes = await Promise.all([
      error(other.snapshot.take({ volumeId: rootId })),
      error(other.snapshot.list({ volumeId: rootId })),
      error(other.snapshot.revert({ id: mine!.id })),
      error(other.snapshot.delete({ id: mine!.id })),
    ]);
    expect(codes.map((e) => e.code)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
    expect(await other.snapshot.list({})).toEqual([]);
    expect((await snapRow(mine!.id)).state).toBe("ready");
    const bad = await error(tenant().snapshot.take({ volumeId: "not-an-id" }));
    expect([bad.code, bad.message]).toEqual(["BAD_REQUEST", expect.stringContaining("volumeId")]);
  });
});
