/**
 * Volumes and volume snapshots through libvirt's storage API, with a real libvirtd and the tiny
 * guest: one VM, a data volume hot-plugged (seen by the guest on its serial console), grown online
 * and detached, and snapshot chains whose
 * restores are compared byte for byte with the volume as it was (qemu-img compare).
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root and the image at
 * .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@/test/orchestrator";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import type { HostRef, PoolRef, VmSpec, VolumeRef } from "../types";
import { LibvirtDriver } from "./driver";
import { needsFull, type SnapshotFile } from "./snapshots";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const GiB = 1024 ** 3;

let dir: string;
let primary: string;
let secondary: string;
let pool: PoolRef;
let spec: VmSpec;
const driver = new LibvirtDriver({ nic: "none", pollMs: 100 });
const host: HostRef = { id: `storage-test-${process.pid}`, name: "local", address: URI, hypervisorType: "kvm", domainType: "qemu" };
const vmName = `stratus-storage-${process.pid}`;
const data = (): VolumeRef => ({ pool, name: `vol-st${process.pid}-a` });
const extra = (): VolumeRef => ({ pool, name: `vol-st${process.pid}-b` });
const snaps: Record<string, SnapshotFile> = {};

/** The top file of a volume (what the VM uses), from the pool directory. */
function topOf(name: string) {
  const files = fs.readdirSync(primary).filter((f) => f.startsWith(`${name}.s-`));
  return path.join(primary, files[0] ?? `${name}.qcow2`);
}
/** Writes a pattern into the running VM's disk at QEMU's block layer (no guest driver needed). */
function hmpWrite(target: string, pattern: number, offset: string, length: string) {
  const alias = new RegExp(`${target}[\\s\\S]*?<alias name='([^']+)'`).exec(virsh("dumpxml", "--domain", vmName))![1]!;
  const io = (cmd: string) =>
    virsh("qemu-monitor-command", vmName, "--hmp", `qemu-io -d /machine/peripheral/${alias}/virtio-backend "${cmd}"`);
  io(`write -P ${pattern} ${offset} ${length}`);
  io("flush"); // qcow2's tables live in QEMU's memory until flushed; the test reads the file from outside
}
/** Writes into a stopped volume's top file directly. */
function ioWrite(file: string, pattern: number, offset: string, length: string) {
  execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P ${pattern} ${offset} ${length}`, file], { stdio: "ignore" });
}
/** A self-contained copy of what the volume holds now (the expected content of a later restore). */
function capture(name: string, as: string) {
  const out = path.join(dir, `${as}.qcow2`);
  execFileSync("qemu-img", ["convert", "-U", "-O", "qcow2", topOf(name), out]);
  return out;
}
/** qemu-img compare: 0 when both images hold the same bytes. */
const sameBytes = (a: string, b: string) => spawnSync("qemu-img", ["compare", "-U", a, b], { encoding: "utf8" }).status === 0;
const readBytes = (file: string, offset: number, length: number) => {
  const raw = path.join(dir, "read.raw");
  execFileSync("qemu-img", [
    "dd",
    "-U",
    "-O",
    "raw",
    `if=${file}`,
    `of=${raw}`,
    "bs=65536",
    `skip=${offset / 65536}`,
    `count=${length / 65536}`,
  ]);
  const b = fs.readFileSync(raw);
  fs.rmSync(raw);
  return b;
};
const serialLog = () => path.join(primary, `${vmName}-serial.log`);
/** The guest's latest report of its virtio disks ("vda:19MiB vdb:1024MiB"). */
const lastDisks = () =>
  fs.existsSync(serialLog())
    ? ([...fs.readFileSync(serialLog(), "utf8").matchAll(/STRATUS-TINY-GUEST disks:(.*)/g)].at(-1)?.[1] ?? "")
    : "";

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt volumes and snapshots through the storage API", () => {
  beforeAll(() => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-storage-"));
    fs.chmodSync(dir, 0o755);
    primary = path.join(dir, "primary");
    secondary = path.join(dir, "secondary");
    fs.mkdirSync(path.join(secondary, "templates"), { recursive: true });
    fs.copyFileSync(image, path.join(secondary, "templates", "tiny.qcow2"));
    pool = { id: `st${process.pid}`, type: "local_dir", path: primary };
    spec = {
      name: vmName,
      displayName: "storage-test",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      template: { id: `tiny${process.pid}`, path: path.join(secondary, "templates", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
      storage: { poolId: pool.id, primaryPath: primary, rootDiskGib: 1 },
    };
  });

  afterAll(async () => {
    await driver.destroy(host, vmName).catch(() => {});
    for (const v of pool ? [data(), extra()] : []) await driver.deleteVolume(host, v).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("defines a dir pool for the Stratus pool and creates volumes in it, idempotently", async () => {
    const root: VolumeRef = { pool, name: `${vmName}-root` };
    const a = await driver.createVolume(host, root, { sizeGib: 1, template: spec.template });
    const b = await driver.createVolume(host, root, { sizeGib: 1, template: spec.template });
    expect(b).toEqual(a);
    expect(a.capacityBytes).toBe(GiB);
    // The pool is libvirt's, named from the Stratus pool id, on the admin's path.
    expect(virsh("pool-dumpxml", "--pool", `stratus-${pool.id}`)).toContain(`<path>${primary}</path>`);
    expect(virsh("pool-info", "--pool", `stratus-${pool.id}`)).toMatch(/State:\s+running/);
    // The root volume is a qcow2 overlay on the template uploaded once into the pool.
    const info = JSON.parse(
      execFileSync("qemu-img", ["info", "-U", "--output=json", path.join(primary, `${vmName}-root.qcow2`)], { encoding: "utf8" }),
    ) as {
      "backing-filename": string;
    };
    expect(info["backing-filename"]).toBe(path.join(primary, `template-${spec.template.id}.qcow2`));
    expect(fs.statSync(path.join(primary, `template-${spec.template.id}.qcow2`)).size).toBe(fs.statSync(spec.template.path).size);

    const empty = await driver.createVolume(host, data(), { sizeGib: 1 });
    expect(empty.capacityBytes).toBe(GiB);
    expect(empty.allocationBytes).toBeLessThan(1024 ** 2);
    expect(await driver.volumeInfo(host, data())).toEqual(empty);
    expect(await driver.volumeInfo(host, { pool, name: "vol-never-made" })).toBe("missing");
  });

  it("starts a VM with its data volume, hot-plugs another, grows it online, refuses to shrink it, and detaches it", async () => {
    await driver.create(host, { ...spec, volumes: [{ vol: data(), target: "vdb" }] });
    await driver.start(host, spec);
    await waitFor(
      "the guest's banner",
      () => fs.existsSync(serialLog()) && fs.readFileSync(serialLog(), "utf8").includes("ready"),
      60_000,
      250,
    );
    expect(virsh("domblklist", "--domain", vmName)).toMatch(new RegExp(`vdb\\s+${primary}/vol-st${process.pid}-a\\.qcow2`));
    // The guest sees its data volume (the tiny guest lists its virtio disks on the serial console).
    await waitFor("vdb in the guest", () => lastDisks().includes("vdb:1024MiB"), 30_000, 250);

    await driver.createVolume(host, extra(), { sizeGib: 1 });
    await driver.attachVolume(host, vmName, extra(), "vdc");
    await driver.attachVolume(host, vmName, extra(), "vdc"); // idempotent
    const b = `${primary}/vol-st${process.pid}-b.qcow2`;
    expect(virsh("domblklist", "--domain", vmName)).toContain(b);
    expect(virsh("domblklist", "--domain", vmName, "--inactive")).toContain(b);
    await waitFor("the hot-plugged vdc in the guest", () => lastDisks().includes("vdc:1024MiB"), 30_000, 250);

    const grown = await driver.resizeVolume(host, extra(), 2, vmName);
    expect(grown.capacityBytes).toBe(2 * GiB);
    expect(virsh("domblkinfo", "--domain", vmName, "vdc")).toMatch(new RegExp(`Capacity:\\s+${2 * GiB}`));
    await waitFor("the grown vdc in the guest", () => lastDisks().includes("vdc:2048MiB"), 30_000, 250);
    await expect(driver.resizeVolume(host, extra(), 1, vmName)).rejects.toThrow(/cannot shrink/);

    await driver.detachVolume(host, vmName, extra(), "vdc");
    expect(virsh("domblklist", "--domain", vmName)).not.toContain(b);
    expect(virsh("domblklist", "--domain", vmName, "--inactive")).not.toContain(b);
    await waitFor("vdc gone from the guest", () => !lastDisks().includes("vdc:") && lastDisks().includes("vdb:"), 30_000, 250);
    await driver.deleteVolume(host, extra());
    expect(await driver.volumeInfo(host, extra())).toBe("missing");
    expect(fs.existsSync(b)).toBe(false);
  }, 120_000);

  it("snapshots the running VM's data volume: a full one, then an increment of only the changed blocks", async () => {
    const sdir = path.join(secondary, "snapshots", data().name);
    hmpWrite("vdb", 0x5a, "0", "1M"); // the marker
    snaps.s1 = await driver.snapshots.take(host, data(), { id: "s1", dir: sdir, vmName });
    expect(snaps.s1).toMatchObject({ kind: "full", parentFile: null, capacityBytes: GiB });
    hmpWrite("vdb", 0x11, "100M", "64k");
    snaps.s2 = await driver.snapshots.take(host, data(), { id: "s2", dir: sdir, vmName, previous: snaps.s1 });
    expect(snaps.s2).toMatchObject({ kind: "incremental", parentFile: snaps.s1.file });
    // A retried job (same id) finds the work done and reports the same snapshot.
    expect(await driver.snapshots.take(host, data(), { id: "s2", dir: sdir, vmName, previous: snaps.s1 })).toEqual(snaps.s2);
    // 64 KiB changed: the increment is that cluster and qcow2's tables, far below the 1 MiB marker.
    expect(snaps.s2.bytes).toBeLessThan(snaps.s1.bytes);
    expect(snaps.s2.bytes).toBeLessThan(600 * 1024);
    // The host keeps the base and one overlay, and the VM writes to the overlay.
    expect(
      fs
        .readdirSync(primary)
        .filter((f) => f.startsWith(data().name))
        .sort(),
    ).toEqual([`${data().name}.qcow2`, `${data().name}.s-s2.qcow2`]);
    expect(virsh("domblklist", "--domain", vmName)).toContain(`${data().name}.s-s2.qcow2`);
    expect(virsh("domstate", "--domain", vmName)).toBe("running");
    // A root volume's full snapshot is self-contained (the template's data included).
    const root = await driver.snapshots.take(
      host,
      { pool, name: `${vmName}-root` },
      { id: "r1", dir: path.join(secondary, "snapshots", "root"), vmName },
    );
    const rootInfo = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", root.file], { encoding: "utf8" })) as Record<
      string,
      unknown
    >;
    expect(rootInfo["backing-filename"]).toBeUndefined();
    expect(needsFull(null, 5)).toBe(true);
    expect(needsFull(3, 5)).toBe(false);
    expect(needsFull(4, 5)).toBe(true);
  }, 120_000);

  it("restores the volume from the chain byte for byte after it changed (VM stopped)", async () => {
    const expected = capture(data().name, "expected-s2");
    hmpWrite("vdb", 0x77, "0", "1M"); // overwrite the marker
    hmpWrite("vdb", 0x77, "200M", "1M");
    expect(sameBytes(topOf(data().name), expected)).toBe(false);
    await expect(driver.snapshots.restore(host, data(), snaps.s2!, { vmName })).rejects.toThrow(/Stop VM/);
    await driver.stop(host, vmName, { force: true });
    await driver.snapshots.restore(host, data(), snaps.s2!, { vmName });
    expect(sameBytes(topOf(data().name), expected)).toBe(true);
    expect(readBytes(topOf(data().name), 0, 65536).every((b) => b === 0x5a)).toBe(true);
    // The VM's definition follows the rebuilt volume.
    expect(virsh("domblklist", "--domain", vmName, "--inactive")).toContain(`${data().name}.s-s2.qcow2`);
  }, 120_000);

  it("snapshots a stopped VM's volume incrementally, and the VM starts on the new chain", async () => {
    const sdir = path.join(secondary, "snapshots", data().name);
    ioWrite(topOf(data().name), 0x33, "300M", "64k");
    const expected = capture(data().name, "expected-s3");
    snaps.s3 = await driver.snapshots.take(host, data(), { id: "s3", dir: sdir, vmName, previous: snaps.s2 });
    expect(snaps.s3).toMatchObject({ kind: "incremental", parentFile: snaps.s2!.file });
    expect(snaps.s3.bytes).toBeLessThan(600 * 1024);
    expect(
      fs
        .readdirSync(primary)
        .filter((f) => f.startsWith(data().name))
        .sort(),
    ).toEqual([`${data().name}.qcow2`, `${data().name}.s-s3.qcow2`]);
    expect(virsh("list", "--all", "--name")).not.toMatch(/stratus-commit-/); // the helper domain is gone
    expect(sameBytes(topOf(data().name), expected)).toBe(true);
    await driver.start(host, spec);
    expect(virsh("domblklist", "--domain", vmName)).toContain(`${data().name}.s-s3.qcow2`);
    await driver.stop(host, vmName, { force: true });
  }, 120_000);

  it("deleting a middle snapshot merges it into its successor, and the last one still restores", async () => {
    const expected = capture(data().name, "expected-s3b");
    const [s3] = await driver.snapshots.delete(snaps.s2!, [snaps.s3!]);
    expect(s3).toMatchObject({ kind: "incremental", parentFile: snaps.s1!.file });
    expect(fs.existsSync(snaps.s2!.file)).toBe(false);
    ioWrite(topOf(data().name), 0x44, "0", "1M");
    await driver.snapshots.restore(host, data(), s3!, { vmName });
    expect(sameBytes(topOf(data().name), expected)).toBe(true);
    // Deleting the full one makes its successor full.
    const [s3full] = await driver.snapshots.delete(snaps.s1!, [s3!]);
    expect(s3full).toMatchObject({ kind: "full", parentFile: null });
    ioWrite(topOf(data().name), 0x45, "0", "1M");
    await driver.snapshots.restore(host, data(), s3full!, { vmName });
    expect(sameBytes(topOf(data().name), expected)).toBe(true);
  }, 120_000);

  it("destroying the VM removes its root volume and serial log but not its data volume; deleting that leaves nothing", async () => {
    await driver.destroy(host, vmName);
    const left = fs.readdirSync(primary).filter((f) => !f.startsWith("template-"));
    expect(left.filter((f) => f.startsWith(vmName))).toEqual([]);
    expect(left.some((f) => f.startsWith(data().name))).toBe(true);
    await driver.deleteVolume(host, data());
    expect(fs.readdirSync(primary).filter((f) => !f.startsWith("template-"))).toEqual([]);
  }, 60_000);
});
