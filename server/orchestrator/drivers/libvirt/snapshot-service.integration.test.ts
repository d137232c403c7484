/**
 * Volume snapshots end to end on a real libvirtd: through the snapshot service, its jobs and the
 * policy sweep (not the driver directly; storage.integration.test.ts checks the driver's chains).
 * One tiny guest with one data volume: the guest sees the volume (its serial console lists its
 * virtio disks); then, with the VM stopped, a marker written into the volume from the host, a
 * snapshot taken, the marker changed and the volume reverted shows the change gone; a recurring
 * policy fired on an injected clock makes real snapshot files and its retention deletes the oldest;
 * deleting a middle snapshot and reverting to the last gives the volume's bytes of that moment.
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root and the image at
 * .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { jobs, snapshotPolicies, snapshots, volumes } from "@/db/schema";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { runSnapshotPolicies } from "@/server/services/snapshots/policies";
import { openTestDb } from "@/test/db";
import { type KvmZone, setUpKvmZone, virsh } from "@/test/libvirt-cloud";
import type { api } from "@/test/fixtures";
import { testWorkers, waitFor, waitForJob } from "@/test/orchestrator";

let h: DbHandle;
let workers: ReturnType<typeof testWorkers>;
let kvm: KvmZone | undefined;
let tenant: ReturnType<typeof api>;
let dir: string;
let secondary: string;
let vmId: string;
let vmName = "";
let volId: string;

const topFile = () => kvm!.topFile();
/** Writes `pattern` into the stopped volume from the host, at the qcow2 layer (no guest needed). */
function write(pattern: number, offsetMib: number) {
  execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P ${pattern} ${offsetMib}M 1M`, topFile()], { stdio: "ignore" });
}
/** Whether the volume (its whole chain) holds `pattern` in the MiB at `offsetMib`. */
function holds(pattern: number, offsetMib: number) {
  const r = spawnSync("qemu-io", ["-r", "-U", "-f", "qcow2", "-c", `read -P ${pattern} ${offsetMib}M 1M`, topFile()], { encoding: "utf8" });
  return r.status === 0 && !/Pattern verification failed/.test(r.stdout + r.stderr);
}
/** A flat copy of what the volume holds now (to compare a later revert with). */
function capture(as: string) {
  const out = path.join(dir, `${as}.qcow2`);
  execFileSync("qemu-img", ["convert", "-U", "-O", "qcow2", topFile(), out]);
  return out;
}
const sameBytes = (a: string, b: string) => spawnSync("qemu-img", ["compare", "-U", a, b]).status === 0;
const serialLog = () => kvm!.serialLog();
/** The guest's latest report of its virtio disks ("vda:19MiB vdb:1024MiB"). */
const lastDisks = () =>
  fs.existsSync(serialLog())
    ? ([...fs.readFileSync(serialLog(), "utf8").matchAll(/STRATUS-TINY-GUEST disks:(.*)/g)].at(-1)?.[1] ?? "")
    : "";

async function ok<T extends { jobId: string }>(p: Promise<T>, timeoutMs = 120_000): Promise<T> {
  const r = await p;
  const j = await waitForJob(h.db, r.jobId, timeoutMs);
  expect(j.status, j.error ?? "").toBe("succeeded");
  return r;
}
/** Waits until no job works on the volume (the sweep's snapshot and retention jobs). */
const volumeIdle = () =>
  waitFor(
    "the volume's jobs to finish",
    async () => {
      const active = await h.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.resourceId, volId), inArray(jobs.status, ["queued", "running"])));
      return active.length === 0;
    },
    120_000,
    200,
  );
const snapRow = async (id: string) => (await h.db.select().from(snapshots).where(eq(snapshots.id, id)))[0]!;

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("volume snapshots through the service and jobs on a real libvirtd", () => {
  beforeAll(async () => {
    orchestratorConfig.stopTimeoutMs = 20_000;
    h = await openTestDb();
    workers = testWorkers(h, "snapsvc-test", 2);
    kvm = await setUpKvmZone(h, "snapsvc");
    ({ tenant, dir, secondary, vmId, vmName, volId } = kvm);
  }, 240_000);

  afterAll(async () => {
    await workers?.stop();
    kvm?.cleanUp();
    await h?.close();
  });

  it("the running guest sees the data volume; the VM is then stopped for the snapshot work", async () => {
    await waitFor("vdb in the guest", () => lastDisks().includes("vdb:1024MiB"), 60_000, 250);
    await ok(tenant.instance.stop({ id: vmId, force: true }));
    expect(virsh("domstate", "--domain", vmName)).toBe("shut off");
  }, 120_000);

  it("snapshot, change, revert: the change is gone", async () => {
    write(0x5a, 0);
    const taken = await ok(tenant.snapshot.take({ volumeId: volId, name: "marker" }));
    const snap = await snapRow(taken.id);
    expect([snap.state, snap.full]).toEqual(["ready", true]);
    expect(snap.file).toBe(path.join(secondary, "snapshots", volId, `${snap.id}.qcow2`));
    expect(fs.statSync(snap.file!).size).toBe(Number(snap.sizeBytes));

    write(0x66, 0);
    expect(holds(0x66, 0)).toBe(true);
    await ok(tenant.snapshot.revert({ id: snap.id }));
    expect(holds(0x5a, 0)).toBe(true);
    expect(holds(0x66, 0)).toBe(false);
    expect((await h.db.select().from(volumes).where(eq(volumes.id, volId)))[0]!.state).toBe("ready");
    // The stopped VM's definition follows the rebuilt volume.
    expect(virsh("domblklist", "--domain", vmName)).toContain(topFile());
  }, 180_000);

  it("measures the pool's real bytes on disk through libvirt (vol-info allocation), far below the allocated GiB", async () => {
    const pool = await kvm!.admin.storagePool.measure({ id: kvm!.poolId });
    // What the files of the pool directory take (the VM is stopped: nothing grows meanwhile).
    const onDisk = fs.readdirSync(kvm!.primary).reduce((sum, f) => sum + fs.statSync(path.join(kvm!.primary, f)).blocks * 512, 0);
    expect(pool.actualBytes).toBe(onDisk);
    expect(pool.actualBytes!).toBeLessThan(pool.usedGib * 1024 ** 3);
    const [zone] = await kvm!.admin.zone.capacity({ zoneId: kvm!.zoneId });
    expect(zone!.primaryStorageGib.actualBytes).toBe(onDisk);
  }, 60_000);

  const expected: Record<string, string> = {};

  it("a policy fired on an injected clock makes real snapshots, and its retention deletes the oldest", async () => {
    const policy = await tenant.snapshot.createPolicy({ volumeId: volId, frequency: "hourly", minute: 0, timeZone: "UTC", retention: 2 });
    await h.db
      .update(snapshotPolicies)
      .set({ createdAt: new Date("2030-01-01T00:00:00Z") })
      .where(eq(snapshotPolicies.id, policy.id));
    const at = (hhmm: string) => new Date(`2030-01-01T${hhmm}:00Z`);
    for (const [i, hour] of ["01", "02", "03"].entries()) {
      write(0x10 + i, 10 + i); // something new for each snapshot to hold
      expected[hour] = capture(`at-${hour}`);
      await runSnapshotPolicies(h.db, at(`${hour}:05`));
      await volumeIdle();
    }
    const made = await h.db.select().from(snapshots).where(eq(snapshots.policyId, policy.id)).orderBy(snapshots.createdAt);
    expect(made.map((s) => s.state)).toEqual(["ready", "ready", "ready"]);
    // After the revert the volume tracks changes since "marker": every policy snapshot is an increment.
    expect(made.map((s) => s.full)).toEqual([false, false, false]);
    for (const s of made) expect(fs.existsSync(s.file!)).toBe(true);

    // The next sweep applies retention (2): the oldest goes, merged into its successor.
    await runSnapshotPolicies(h.db, at("03:30"));
    await volumeIdle();
    const [oldest, second, third] = made;
    expect((await snapRow(oldest!.id)).state).toBe("destroyed");
    expect(fs.existsSync(oldest!.file!)).toBe(false);
    expect((await snapRow(second!.id)).parentId).toBe(oldest!.parentId);
    expect([(await snapRow(second!.id)).state, (await snapRow(third!.id)).state]).toEqual(["ready", "ready"]);
    await tenant.snapshot.deletePolicy({ id: policy.id });
  }, 300_000);

  it("deleting a middle snapshot through the service, the last one still reverts to the right bytes", async () => {
    const ready = await h.db
      .select()
      .from(snapshots)
      .where(and(eq(snapshots.volumeId, volId), eq(snapshots.state, "ready")))
      .orderBy(snapshots.createdAt);
    // marker (full) ← 02:00 ← 03:00: delete 02:00, the middle one.
    expect(ready).toHaveLength(3);
    const [, middle, last] = ready;
    expect(last!.parentId).toBe(middle!.id);
    await ok(tenant.snapshot.delete({ id: middle!.id }));
    expect(fs.existsSync(middle!.file!)).toBe(false);
    expect((await snapRow(last!.id)).parentId).toBe(ready[0]!.id);

    write(0x77, 0); // a change after the last snapshot, which the revert must undo
    await ok(tenant.snapshot.revert({ id: last!.id }));
    expect(sameBytes(topFile(), expected["03"]!)).toBe(true);
    expect([holds(0x5a, 0), holds(0x10, 10), holds(0x11, 11), holds(0x12, 12)]).toEqual([true, true, true, true]);
    // Only the snapshots still Ready have files on the secondary store.
    const files = fs.readdirSync(path.join(secondary, "snapshots", volId)).sort();
    expect(files).toEqual([`${ready[0]!.id}.qcow2`, `${last!.id}.qcow2`].sort());
  }, 180_000);

  it("the guest boots with the reverted volume and still sees it", async () => {
    const before = lastDisks();
    fs.rmSync(serialLog(), { force: true });
    await ok(tenant.instance.start({ id: vmId }));
    await waitFor("vdb in the guest after the reverts", () => lastDisks().includes("vdb:1024MiB"), 60_000, 250);
    expect(before).toContain("vdb:");
  }, 120_000);
});
