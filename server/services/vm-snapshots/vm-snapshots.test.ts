import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import {
  computeOfferings,
  diskOfferings,
  hosts,
  instances,
  storagePools,
  simulatorVmSnapshots,
  simulatorVolumes,
  usageEvents,
  vmSnapshots,
  volumes,
} from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { ownedTemplate } from "@/test/templates";
import { clearFaults, deployChoicesByName, injectFault, testWorkers, usageSequence, waitForJob } from "@/test/orchestrator";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { vmSnapshotMax } from "./operations";

const VM_SNAPSHOT_MAX = vmSnapshotMax();

/**
 * VM snapshots on the simulator, through the real router: take (memory of a running VM, disks of
 * a stopped one), revert (the VM's disks come back; the snapshot becomes current), delete (the tree
 * closes over it), usage facts with sizes once each, the per-VM maximum, what VM snapshots refuse
 * elsewhere (volume snapshots, attach/detach/resize, offering change), expunge, and other tenants'
 * VMs and snapshots NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vmId: string;
let rootId: string;

const MIB = 1024 ** 2;
const tenant = () => api(h.db, t.callers.tenant);
const row = async (id: string) => (await h.db.select().from(vmSnapshots).where(eq(vmSnapshots.id, id)))[0]!;
const vmRow = async (id = vmId) => (await h.db.select().from(instances).where(eq(instances.id, id)))[0]!;
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
/** The simulated root disk's allocation (what a revert puts back). */
async function rootAllocation(set?: number) {
  const vm = await vmRow();
  const where = eq(simulatorVolumes.name, `${vmInternalName(vm)}-root`);
  if (set !== undefined) await h.db.update(simulatorVolumes).set({ allocationBytes: set }).where(where);
  return Number((await h.db.select().from(simulatorVolumes).where(where))[0]!.allocationBytes);
}

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "vmsnap-vm" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  vmId = vm!.id;
  rootId = (await h.db.select().from(volumes).where(eq(volumes.instanceId, vmId)))[0]!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

describe(`VM snapshots on the simulator (${testDbKind()})`, () => {
  it("takes a memory snapshot, reverts to it, and deletes it, with usage facts and sizes once each", async () => {
    const list0 = await tenant().vmSnapshot.list({ instanceId: vmId });
    expect([list0.snapshots, list0.support, list0.max]).toEqual([[], { memory: true, diskOnlyWhileRunning: true }, VM_SNAPSHOT_MAX]);
    const before = await rootAllocation(10 * MIB);
    const first = await ok(
      tenant().vmSnapshot.take({ instanceId: vmId, name: "before-upgrade", description: "clean", type: "disk_and_memory" }),
    );
    const s1 = await row(first.id);
    const vm = await vmRow();
    expect([s1.state, s1.current, s1.parentId, s1.type, s1.description]).toEqual(["ready", true, null, "disk_and_memory", "clean"]);
    expect(s1.sizeBytes).toBe(vm.memoryMib * MIB + MIB); // the memory plus one disk's metadata
    const [fact] = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, s1.id));
    expect([fact!.type, fact!.details]).toEqual([
      "VMSNAPSHOT.CREATE",
      { instanceId: vmId, snapshotType: "disk_and_memory", sizeBytes: s1.sizeBytes },
    ]);

    // The disk changes; a second (disk-only, the simulator allows it while running) hangs from the first.
    await rootAllocation(99 * MIB);
    const second = await ok(tenant().vmSnapshot.take({ instanceId: vmId, name: "after-upgrade", type: "disk" }));
    expect([(await row(second.id)).parentId, (await row(second.id)).current, (await row(s1.id)).current]).toEqual([s1.id, true, false]);
    const dupe = await error(tenant().vmSnapshot.take({ instanceId: vmId, name: "after-upgrade", type: "disk" }));
    expect([dupe.code, dupe.message]).toEqual(["BAD_REQUEST", "vmsnap-vm already has a VM snapshot named after-upgrade"]);

    // A disk-only snapshot reverts only a stopped VM; the memory one only a running VM.
    const running = await error(tenant().vmSnapshot.revert({ id: second.id }));
    expect([running.code, running.message]).toEqual([
      "CONFLICT",
      "Stop vmsnap-vm before reverting to after-upgrade: a disk-only snapshot rewrites the disks of a stopped VM",
    ]);
    await ok(tenant().vmSnapshot.revert({ id: s1.id }));
    expect(await rootAllocation()).toBe(before);
    expect([(await row(s1.id)).current, (await row(second.id)).current, (await row(s1.id)).state]).toEqual([true, false, "ready"]);
    expect((await vmRow()).state).toBe("running");

    await ok(tenant().instance.stop({ id: vmId }));
    const stopped = await error(tenant().vmSnapshot.revert({ id: s1.id }));
    expect([stopped.code, stopped.message]).toEqual([
      "CONFLICT",
      "Start vmsnap-vm before reverting to before-upgrade: a snapshot with memory resumes the running VM as it was",
    ]);
    const noMemory = await error(tenant().vmSnapshot.take({ instanceId: vmId, name: "x", type: "disk_and_memory" }));
    expect([noMemory.code, noMemory.message]).toEqual([
      "BAD_REQUEST",
      "vmsnap-vm is stopped: there is no memory to save; take a disk-only snapshot",
    ]);
    await ok(tenant().vmSnapshot.revert({ id: second.id }));
    expect(await rootAllocation()).toBe(99 * MIB);
    expect((await vmRow()).state).toBe("stopped");

    // Deleting the parent: its child hangs from nothing now; the sim forgets it.
    await ok(tenant().vmSnapshot.delete({ id: s1.id }));
    expect([(await row(s1.id)).state, (await row(second.id)).parentId, (await row(second.id)).current]).toEqual(["deleted", null, true]);
    expect(await usageSequence(h.db, s1.id)).toEqual(["VMSNAPSHOT.CREATE", "VMSNAPSHOT.REVERTTO", "VMSNAPSHOT.DELETE"]);
    const facts = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, s1.id));
    for (const f of facts) expect((f.details as { sizeBytes: number }).sizeBytes).toBe(s1.sizeBytes);
    expect(
      await h.db
        .select()
        .from(simulatorVmSnapshots)
        .where(eq(simulatorVmSnapshots.name, `vmsnap-${s1.id}`)),
    ).toEqual([]);
    expect((await error(tenant().vmSnapshot.delete({ id: s1.id }))).code).toBe("NOT_FOUND");
    await ok(tenant().vmSnapshot.delete({ id: second.id }));
    expect((await tenant().vmSnapshot.list({ instanceId: vmId })).snapshots).toEqual([]);
    await ok(tenant().instance.start({ id: vmId }));
  });

  it("refuses volume snapshots, attach, detach, resize, migrate and an offering change while the VM has VM snapshots", async () => {
    const [small0] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
    const zone0 = (await deployChoicesByName(h.db)).zoneId;
    const attached = await ok(tenant().volume.create({ name: "vs-attached", zoneId: zone0, diskOfferingId: small0!.id, instanceId: vmId }));
    const volSnapshot = await ok(tenant().snapshot.take({ volumeId: attached.id, name: "vs-before" }));
    const snap = await ok(tenant().vmSnapshot.take({ instanceId: vmId, name: "guard", type: "disk_and_memory" }));
    const detach = await error(tenant().volume.detach({ id: attached.id }));
    expect(detach.message).toMatch(/^Instance vmsnap-vm has 1 VM snapshot: volumes cannot be attached, detached, resized or migrated/);
    const volSnap = await error(tenant().snapshot.take({ volumeId: rootId }));
    expect([volSnap.code, volSnap.message]).toEqual([
      "CONFLICT",
      expect.stringMatching(
        /^Volume \S+ cannot be snapshotted while instance vmsnap-vm has 1 VM snapshot: they live inside the volume's top disk layer/,
      ),
    ]);
    const [small] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
    const zoneId = (await deployChoicesByName(h.db)).zoneId;
    const attachAtCreate = await error(tenant().volume.create({ name: "vs-data", zoneId, diskOfferingId: small!.id, instanceId: vmId }));
    expect([attachAtCreate.code, attachAtCreate.message]).toEqual([
      "CONFLICT",
      "Instance vmsnap-vm has 1 VM snapshot: volumes cannot be attached, detached, resized or migrated while it has any (a revert would bring back another set of disks, and a migrated copy loses them). Delete the VM snapshots first",
    ]);
    expect(await h.db.select().from(volumes).where(eq(volumes.name, "vs-data"))).toEqual([]); // nothing half-made
    const free = await tenant().volume.create({ name: "vs-free", zoneId, diskOfferingId: small!.id });
    expect((await error(tenant().volume.attach({ id: free.id, instanceId: vmId }))).code).toBe("CONFLICT");
    await ok(tenant().instance.stop({ id: vmId }));
    const resize = await error(tenant().volume.resize({ id: rootId, sizeGib: 50 }));
    expect(resize.message).toMatch(/^Instance vmsnap-vm has 1 VM snapshot: volumes cannot be attached, detached, resized or migrated/);
    const volRevert = await error(tenant().snapshot.revert({ id: volSnapshot.id }));
    expect([volRevert.code, volRevert.message]).toEqual([
      "CONFLICT",
      "Volume vs-attached cannot be reverted while instance vmsnap-vm has 1 VM snapshot: rebuilding the volume from a volume snapshot would erase them. Delete the VM snapshots first",
    ]);
    const admin = api(h.db, t.callers.admin);
    const source = (await h.db.select().from(volumes).where(eq(volumes.id, attached.id)))[0]!;
    const [pool] = await h.db.select().from(storagePools).where(eq(storagePools.id, source.storagePoolId!));
    const target = await admin.storagePool.create({
      zoneId,
      clusterId: pool!.clusterId,
      name: "vs-primary-2",
      type: "simulator",
      path: "sim://vs-primary-2",
      capacityGib: 100,
      tags: [],
    });
    const migrate = await error(admin.volume.migrate({ id: attached.id, storagePoolId: target.id }));
    expect(migrate.message).toMatch(/^Instance vmsnap-vm has 1 VM snapshot: volumes cannot be attached, detached, resized or migrated/);
    const iso = await ownedTemplate(
      h.db,
      "vs-rescue-iso",
      { accountId: t.tenantAccount.id, domainId: t.domains.acme.id },
      { format: "iso" },
    );
    const isoChange = await error(tenant().instance.attachIso({ id: vmId, isoId: iso.id }));
    expect([isoChange.code, isoChange.message]).toEqual([
      "CONFLICT",
      "Instance vmsnap-vm has 1 VM snapshot: its ISO cannot change while it has any (a revert would put back the CD-ROM it had then). Delete the VM snapshots first",
    ]);
    const [bigger] = await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Medium"));
    const offering = await error(tenant().instance.changeOffering({ id: vmId, computeOfferingId: bigger!.id }));
    expect([offering.code, offering.message]).toEqual([
      "CONFLICT",
      "Instance vmsnap-vm has 1 VM snapshot: its offering cannot change while it has any (a memory snapshot needs the memory and CPUs it was taken with). Delete the VM snapshots first",
    ]);
    // Once they are gone, volume snapshots work again.
    await ok(tenant().vmSnapshot.delete({ id: snap.id }));
    await ok(tenant().snapshot.take({ volumeId: rootId, name: "after-vm-snapshots" }));
    await ok(tenant().instance.start({ id: vmId }));
  });

  it(`refuses more than ${VM_SNAPSHOT_MAX} per VM, and a failed take leaves an Error snapshot that deletes without a usage fact`, async () => {
    const vm = await vmRow();
    const filler = Array.from({ length: VM_SNAPSHOT_MAX - 1 }, (_, i) => ({
      instanceId: vm.id,
      accountId: vm.accountId,
      domainId: vm.domainId,
      domainPath: vm.domainPath,
      zoneId: vm.zoneId,
      name: `filler-${i}`,
      type: "disk" as const,
      state: "error" as const,
    }));
    await h.db.insert(vmSnapshots).values(filler);
    await injectFault(h.db, { operation: "takeVmSnapshot", remaining: 1, transient: false, message: "disk full" });
    const r = await tenant().vmSnapshot.take({ instanceId: vmId, name: "doomed", type: "disk_and_memory" });
    expect((await waitForJob(h.db, r.jobId)).status).toBe("failed");
    await clearFaults(h.db);
    expect([(await row(r.id)).state, (await row(r.id)).error]).toEqual(["error", expect.stringContaining("disk full")]);
    const full = await error(tenant().vmSnapshot.take({ instanceId: vmId, name: "one-too-many", type: "disk_and_memory" }));
    expect([full.code, full.message]).toEqual([
      "CONFLICT",
      `vmsnap-vm has ${VM_SNAPSHOT_MAX} VM snapshots, the most one instance may have (vmsnapshot.max = ${VM_SNAPSHOT_MAX}); delete one first`,
    ]);
    await ok(tenant().vmSnapshot.delete({ id: r.id }));
    expect(await usageSequence(h.db, r.id)).toEqual([]);
    await h.db.delete(vmSnapshots).where(and(eq(vmSnapshots.instanceId, vm.id), eq(vmSnapshots.state, "error")));
  });

  it("a stopped VM with VM snapshots starts only on its last host, where they are", async () => {
    await ok(tenant().instance.stop({ id: vmId }));
    const snap = await ok(tenant().vmSnapshot.take({ instanceId: vmId, name: "pinned", type: "disk" }));
    const last = (await vmRow()).lastHostId!;
    await h.db.update(hosts).set({ state: "disabled" }).where(eq(hosts.id, last));
    try {
      const moved = await error(tenant().instance.start({ id: vmId }));
      expect([moved.code, moved.message]).toEqual([
        "CONFLICT",
        "Instance vmsnap-vm has 1 VM snapshot, kept with it on its last host, which cannot take it now (full, disabled or down): start it when that host can, or delete the VM snapshots to let it start elsewhere",
      ]);
      expect((await vmRow()).state).toBe("stopped");
    } finally {
      await h.db.update(hosts).set({ state: "enabled" }).where(eq(hosts.id, last));
    }
    await ok(tenant().instance.start({ id: vmId }));
    expect((await vmRow()).hostId).toBe(last);
    await ok(tenant().vmSnapshot.delete({ id: snap.id }));
  });

  it("another tenant's VMs and VM snapshots are NOT_FOUND", async () => {
    const mine = await ok(tenant().vmSnapshot.take({ instanceId: vmId, name: "private", type: "disk_and_memory" }));
    const other = api(h.db, t.callers.globex);
    const codes = await Promise.all([
      error(other.vmSnapshot.list({ instanceId: vmId })),
      error(other.vmSnapshot.take({ instanceId: vmId, name: "intruder", type: "disk_and_memory" })),
      error(other.vmSnapshot.revert({ id: mine.id })),
      error(other.vmSnapshot.delete({ id: mine.id })),
    ]);
    expect(codes.map((e) => e.code)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
    expect((await row(mine.id)).state).toBe("ready");
    const bad = await error(tenant().vmSnapshot.take({ instanceId: vmId, name: "x", type: "everything" as "disk" }));
    expect([bad.code, bad.message]).toEqual(["BAD_REQUEST", expect.stringContaining("type")]);
  });

  it("of two takes at once on one VM, one starts and the other is a conflict to retry", async () => {
    const before = (await tenant().vmSnapshot.list({ instanceId: vmId })).snapshots.length;
    const results = await Promise.allSettled(
      ["race-a", "race-b"].map((name) => tenant().vmSnapshot.take({ instanceId: vmId, name, type: "disk_and_memory" })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected");
    expect((lost!.reason as TRPCError).code).toBe("CONFLICT");
    expect((await waitForJob(h.db, won[0]!.value.jobId)).status).toBe("succeeded");
    const after = (await tenant().vmSnapshot.list({ instanceId: vmId })).snapshots;
    expect(after).toHaveLength(before + 1);
    await ok(tenant().vmSnapshot.delete({ id: won[0]!.value.id }));
  });

  it("an expunged VM's snapshots go with it, each with its VMSNAPSHOT.DELETE", async () => {
    const [snap] = (await tenant().vmSnapshot.list({ instanceId: vmId })).snapshots;
    expect(snap?.name).toBe("private");
    await ok(tenant().instance.destroy({ id: vmId }));
    await ok(tenant().instance.expunge({ id: vmId }));
    expect((await row(snap!.id)).state).toBe("deleted");
    expect(await usageSequence(h.db, snap!.id)).toEqual(["VMSNAPSHOT.CREATE", "VMSNAPSHOT.DELETE"]);
    expect(
      await h.db
        .select()
        .from(simulatorVmSnapshots)
        .where(eq(simulatorVmSnapshots.name, `vmsnap-${snap!.id}`)),
    ).toEqual([]);
  });
});
