import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { instances, simulatorSnapshots, simulatorVolumes, snapshots, storagePools, templates, usageEvents, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { clearFaults, deployChoicesByName, injectFault, setSimLatency, testWorkers, usageSequence, waitForJob } from "@/test/orchestrator";
import { accountLimits } from "@/server/core/limits";

/**
 * Volumes and templates made from snapshots and volumes, on the simulator through the real router:
 * the new volume placed and counted (volumes, primary storage GiB, VOLUME.CREATE) in one
 * transaction and carrying the snapshot's sizes; templates Downloading → Ready, counted against
 * `templates` and `secondary_storage_gib`; the VM must be stopped for a template of its disk; a
 * snapshot being read cannot be deleted; other tenants get NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vmId: string;
let rootId: string;
let snapId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "from-vm" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  vmId = vm!.id;
  rootId = (await h.db.select().from(volumes).where(eq(volumes.instanceId, vmId)))[0]!.id;
  snapId = (await ok(tenant().snapshot.take({ volumeId: rootId, name: "source" }))).id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const used = async (type: string) => (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === type)!.used;
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

describe(`volumes and templates from snapshots and volumes on the simulator (${testDbKind()})`, () => {
  it("creates a DATADISK from a snapshot: at least its size, placed, counted once, with the snapshot's data", async () => {
    const snap = (await h.db.select().from(snapshots).where(eq(snapshots.id, snapId)))[0]!;
    const minGib = Math.ceil(Number(snap.capacityBytes) / 1024 ** 3);
    const tooSmall = await error(tenant().snapshot.createVolume({ snapshotId: snapId, name: "restored", sizeGib: minGib - 1 || 0 }));
    expect(tooSmall.code).toBe("BAD_REQUEST");
    const [volsBefore, gibBefore] = [await used("volumes"), await used("primary_storage_gib")];
    const made = await ok(tenant().snapshot.createVolume({ snapshotId: snapId, name: "restored", sizeGib: minGib + 2 }));
    const vol = (await h.db.select().from(volumes).where(eq(volumes.id, made.id)))[0]!;
    expect([vol.type, vol.state, vol.sizeGib, vol.zoneId, vol.instanceId]).toEqual(["datadisk", "ready", minGib + 2, snap.zoneId, null]);
    expect(vol.storagePoolId).not.toBeNull();
    expect([await used("volumes"), await used("primary_storage_gib")]).toEqual([volsBefore + 1, gibBefore + minGib + 2]);
    expect(await usageSequence(h.db, vol.id)).toEqual(["VOLUME.CREATE"]);
    // The simulator's volume carries the snapshot's bytes in use, grown to the asked size.
    const [sim] = await h.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, snapId));
    const [simVol] = await h.db
      .select()
      .from(simulatorVolumes)
      .where(eq(simulatorVolumes.name, `vol-${vol.number}`));
    expect([Number(simVol!.allocationBytes), Number(simVol!.capacityBytes)]).toEqual([
      Number(sim!.allocationBytes),
      (minGib + 2) * 1024 ** 3,
    ]);
    // It is an ordinary volume: it attaches to the VM.
    await ok(tenant().volume.attach({ id: vol.id, instanceId: vmId }));
  });

  it("a copy that fails leaves the volume in Error, still counted until it is deleted", async () => {
    const gibBefore = await used("primary_storage_gib");
    await injectFault(h.db, { operation: "createVolumeFromSnapshot", remaining: 1, transient: false });
    const r = await tenant().snapshot.createVolume({ snapshotId: snapId, name: "broken" });
    expect((await waitForJob(h.db, r.jobId)).status).toBe("failed");
    await clearFaults(h.db);
    const vol = (await h.db.select().from(volumes).where(eq(volumes.id, r.id)))[0]!;
    expect(vol.state).toBe("error");
    expect(await used("primary_storage_gib")).toBe(gibBefore + vol.sizeGib);
    await tenant().volume.destroy({ id: vol.id });
    expect(await used("primary_storage_gib")).toBe(gibBefore);
    await ok(tenant().volume.expunge({ id: vol.id }));
  });

  it("makes a template from a snapshot: Downloading → Ready, counted against templates and secondary storage", async () => {
    const [tplBefore, secBefore] = [await used("templates"), await used("secondary_storage_gib")];
    const r = await tenant().snapshot.createTemplate({ snapshotId: snapId, name: "from-snap", osType: "Debian GNU/Linux 12 (64-bit)" });
    const pending = (await h.db.select().from(templates).where(eq(templates.id, r.id)))[0]!;
    expect([pending.status, pending.isPublic, pending.accountId, pending.hypervisorType]).toEqual([
      "downloading",
      false,
      t.tenantAccount.id,
      "simulator",
    ]);
    expect(await used("templates")).toBe(tplBefore + 1);
    await ok(Promise.resolve(r));
    const ready = (await h.db.select().from(templates).where(eq(templates.id, r.id)))[0]!;
    expect([ready.status, ready.progress, ready.format, ready.osType]).toEqual(["ready", 100, "simulator", "Debian GNU/Linux 12 (64-bit)"]);
    expect(ready.storedGib).toBeGreaterThan(0);
    expect(await used("secondary_storage_gib")).toBe(secBefore + ready.storedGib);
    // A deploy from it works (it is a template of the tenant's own).
    const choices = await deployChoicesByName(h.db);
    const [vm] = await tenant().instance.deploy({ ...choices, templateId: ready.id, name: "from-template" });
    expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  });

  it("makes a template from a volume only while its VM is stopped, and the job holds the volume", async () => {
    const running = await error(tenant().volume.createTemplate({ volumeId: rootId, name: "from-root", osType: "Linux" }));
    expect([running.code, running.message]).toEqual(["CONFLICT", expect.stringContaining("Stop instance from-vm")]);
    await ok(tenant().instance.stop({ id: vmId }));
    await setSimLatency(h.db, { exportVolume: 500 });
    const r = await tenant().volume.createTemplate({ volumeId: rootId, name: "from-root", osType: "Linux" });
    // While it copies, no other job starts on the volume, and its VM does not start.
    const busy = await error(tenant().snapshot.take({ volumeId: rootId }));
    expect(busy.code).toBe("CONFLICT");
    const start = await error(tenant().instance.start({ id: vmId }));
    expect([start.code, start.message]).toEqual(["CONFLICT", expect.stringContaining("is being copied into a template")]);
    await ok(Promise.resolve(r));
    await setSimLatency(h.db, {});
    const ready = (await h.db.select().from(templates).where(eq(templates.id, r.id)))[0]!;
    const root = (await h.db.select().from(volumes).where(eq(volumes.id, rootId)))[0]!;
    expect([ready.status, ready.sizeGib]).toEqual(["ready", root.sizeGib]);
    const [vm] = await h.db.select().from(instances).where(eq(instances.id, vmId));
    expect(vm!.state).toBe("stopped");
    // Billed from Ready to delete, with its size (CloudStack's TEMPLATE.CREATE / TEMPLATE.DELETE).
    const [tplBefore, secBefore] = [await used("templates"), await used("secondary_storage_gib")];
    await tenant().template.delete({ id: r.id });
    expect(await usageSequence(h.db, r.id)).toEqual(["TEMPLATE.CREATE", "TEMPLATE.DELETE"]);
    const [fact] = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, r.id)).orderBy(usageEvents.seq);
    expect((fact!.details as { sizeBytes: number }).sizeBytes).toBe(Number(ready.storedBytes));
    expect([await used("templates"), await used("secondary_storage_gib")]).toEqual([tplBefore - 1, secBefore - ready.storedGib]);
  });

  it("a snapshot being read cannot be deleted, and deletes once its volume is expunged", async () => {
    const [data] = await h.db.select().from(volumes).where(eq(volumes.name, "restored"));
    const snap = await ok(tenant().snapshot.take({ volumeId: data!.id, name: "of-restored" }));
    // While a volume is being made from it, it cannot be deleted.
    await setSimLatency(h.db, { createVolumeFromSnapshot: 500 });
    const reading = await tenant().snapshot.createVolume({ snapshotId: snap.id, name: "reader" });
    const refused = await error(tenant().snapshot.delete({ id: snap.id }));
    expect([refused.code, refused.message]).toEqual(["CONFLICT", expect.stringContaining("is being read")]);
    expect((await waitForJob(h.db, reading.jobId)).status).toBe("succeeded");
    await setSimLatency(h.db, {});
    await ok(tenant().volume.detach({ id: data!.id }));
    const [pool] = await h.db.select().from(storagePools).where(eq(storagePools.id, data!.storagePoolId!));
    expect(pool).toBeDefined();
    await tenant().volume.destroy({ id: data!.id });
    await ok(tenant().volume.expunge({ id: data!.id }));
    expect((await h.db.select().from(volumes).where(eq(volumes.id, data!.id)))[0]!.state).toBe("expunged");
    await ok(tenant().snapshot.delete({ id: snap.id }));
    expect((await h.db.select().from(snapshots).where(eq(snapshots.id, snap.id)))[0]!.state).toBe("destroyed");
  });

  it("another tenant's snapshots and volumes are NOT_FOUND", async () => {
    const other = api(h.db, t.callers.globex);
    const codes = await Promise.all([
      error(other.snapshot.createVolume({ snapshotId: snapId, name: "theirs" })),
      error(other.snapshot.createTemplate({ snapshotId: snapId, name: "theirs", osType: "Linux" })),
      error(other.volume.createTemplate({ volumeId: rootId, name: "theirs", osType: "Linux" })),
    ]);
    expect(codes.map((e) => e.code)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
  });
});
