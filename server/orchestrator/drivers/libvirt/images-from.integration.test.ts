/**
 * Volumes and templates made from snapshots and volumes, with a real libvirtd (no VM needed): a
 * volume backed by the tiny template gets a full and an incremental snapshot; a new volume made
 * from the incremental one, a template from it, and a template from the volume itself must each
 * hold the same bytes as their source (qemu-img compare) and stand alone (no backing file).
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root and the image at
 * .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import type { HostRef, PoolRef, SnapshotFile, VmSpec, VolumeRef } from "../types";
import { LibvirtDriver } from "./driver";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const GiB = 1024 ** 3;

let dir: string;
let primary: string;
let secondary: string;
let pool: PoolRef;
let template: VmSpec["template"];
const driver = new LibvirtDriver({ nic: "none", pollMs: 100 });
const host: HostRef = { id: `imgfrom-test-${process.pid}`, name: "local", address: URI, hypervisorType: "kvm", domainType: "qemu" };
const source = (): VolumeRef => ({ pool, name: `vol-if${process.pid}-src` });
const copy = (): VolumeRef => ({ pool, name: `vol-if${process.pid}-new` });

/** The volume's top file in the pool directory (its overlay after a snapshot). */
function topOf(name: string) {
  const files = fs.readdirSync(primary).filter((f) => f.startsWith(`${name}.s-`));
  return path.join(primary, files[0] ?? `${name}.qcow2`);
}
function ioWrite(file: string, pattern: number, offset: string, length: string) {
  execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P ${pattern} ${offset} ${length}`, file], { stdio: "ignore" });
}
/** A self-contained copy of what the volume holds now. */
function capture(name: string, as: string) {
  const out = path.join(dir, `${as}.qcow2`);
  execFileSync("qemu-img", ["convert", "-U", "-O", "qcow2", topOf(name), out]);
  return out;
}
const sameBytes = (a: string, b: string) => spawnSync("qemu-img", ["compare", "-U", a, b], { encoding: "utf8" });
const info = (file: string) =>
  JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", file], { encoding: "utf8" })) as {
    "virtual-size": number;
    "backing-filename"?: string;
    format: string;
  };

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt: volumes and templates from snapshots and volumes", () => {
  let snap2: SnapshotFile;
  let atSnap2: string;

  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-imgfrom-"));
    fs.chmodSync(dir, 0o755);
    primary = path.join(dir, "primary");
    secondary = path.join(dir, "secondary");
    fs.mkdirSync(path.join(secondary, "templates"), { recursive: true });
    fs.copyFileSync(image, path.join(secondary, "templates", "tiny.qcow2"));
    pool = { id: `if${process.pid}`, type: "local_dir", path: primary };
    template = { id: `tinyif${process.pid}`, path: path.join(secondary, "templates", "tiny.qcow2"), format: "qcow2", sizeGib: 1 };
    // The volume holds the template's blocks, a marker before the full snapshot, another before the increment.
    await driver.createVolume(host, source(), { sizeGib: 1, template });
    ioWrite(topOf(source().name), 0x5a, "64M", "1M");
    const snapDir = path.join(secondary, "snapshots", "vol-src");
    await driver.takeSnapshot(host, source(), { id: `s1-${process.pid}`, dir: snapDir, full: true });
    const snap1 = { id: `s1-${process.pid}`, file: path.join(snapDir, `s1-${process.pid}.qcow2`) };
    ioWrite(topOf(source().name), 0xa5, "128M", "2M");
    atSnap2 = capture(source().name, "at-snap2");
    snap2 = await driver.takeSnapshot(host, source(), {
      id: `s2-${process.pid}`,
      dir: snapDir,
      previous: { ...snap1, kind: "full", parentFile: null, bytes: 0, capacityBytes: GiB },
    });
    expect(snap2.kind).toBe("incremental");
    // The volume moves on after the snapshot: what is made from the snapshot must not see this.
    ioWrite(topOf(source().name), 0x11, "256M", "1M");
  }, 300_000);

  afterAll(async () => {
    for (const v of pool ? [source(), copy()] : []) await driver.deleteVolume(host, v).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates a volume from an incremental snapshot: the chain flattened, grown to the asked size, same bytes", async () => {
    const made = await driver.createVolumeFromSnapshot(host, copy(), snap2, 2);
    expect(made.capacityBytes).toBe(2 * GiB);
    const top = topOf(copy().name);
    // Same bytes as the volume had at the snapshot (qemu-img compare treats the grown tail as zeros).
    const cmp = sameBytes(atSnap2, top);
    expect(cmp.status, cmp.stdout + cmp.stderr).toBe(0);
    // Nothing of it lies on the secondary store or the template: its chain ends in its own base.
    const chain = execFileSync("qemu-img", ["info", "-U", "--backing-chain", "--output=json", top], { encoding: "utf8" });
    expect(chain).not.toContain(secondary);
    // Again (a retried job) gives the same volume.
    await driver.createVolumeFromSnapshot(host, copy(), snap2, 2);
    expect(sameBytes(atSnap2, topOf(copy().name)).status).toBe(0);
  }, 300_000);

  it("writes a template from a snapshot: one qcow2 without a backing file, same bytes", async () => {
    const target = path.join(secondary, "templates", "from-snap.qcow2");
    const made = await driver.exportSnapshot(host, snap2, target);
    const i = info(target);
    expect([i.format, i["backing-filename"], i["virtual-size"]]).toEqual(["qcow2", undefined, GiB]);
    expect(made).toEqual({ bytes: fs.statSync(target).size, virtualBytes: GiB });
    const cmp = sameBytes(atSnap2, target);
    expect(cmp.status, cmp.stdout + cmp.stderr).toBe(0);
    expect(fs.existsSync(`${target}.part`)).toBe(false);
  }, 300_000);

  it("writes a template from a volume (its overlay, base and template folded in), same bytes, no copy left on the pool", async () => {
    const now = capture(source().name, "now");
    expect(sameBytes(atSnap2, now).status, "the volume changed after the snapshot").not.toBe(0);
    const target = path.join(secondary, "templates", "from-vol.qcow2");
    const made = await driver.exportVolume(host, source(), target);
    const i = info(target);
    expect([i.format, i["backing-filename"]]).toEqual(["qcow2", undefined]);
    expect(made.virtualBytes).toBe(GiB);
    const cmp = sameBytes(now, target);
    expect(cmp.status, cmp.stdout + cmp.stderr).toBe(0);
    expect(fs.readdirSync(primary).filter((f) => f.includes(".c-"))).toEqual([]);
    // The volume itself is untouched.
    expect(sameBytes(now, topOf(source().name)).status).toBe(0);
  }, 300_000);
});
