/**
 * ISOs in a VM's CD-ROM on a real libvirtd: a tiny ISO made by the test (xorriso) is uploaded into
 * the VM's pool, inserted into a defined domain's persistent definition and into the running VM
 * (change-media), ejected, and a definition with boot-from-ISO puts the CD-ROM first.
 * The test's pool, domain and files are removed afterwards.
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root, xorriso and the
 * image at .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import type { HostRef, IsoRef, PoolRef, VmSpec } from "../types";
import { LibvirtDriver } from "./driver";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const driver = new LibvirtDriver({ nic: "none", pollMs: 100 });
const host: HostRef = { id: `iso-test-${process.pid}`, name: "local", address: URI, hypervisorType: "kvm", domainType: "qemu" };
const vmName = `stratus-iso-${process.pid}`;

let dir: string;
let pool: PoolRef;
let iso: IsoRef;
let spec: VmSpec;
/** The CD-ROM row of `virsh domblklist --details` (live, or the persistent definition). */
const cdrom = (inactive: boolean) =>
  virsh("domblklist", "--domain", vmName, "--details", ...(inactive ? ["--inactive"] : []))
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((c) => c[1] === "cdrom");

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt ISOs in the CD-ROM", () => {
  beforeAll(() => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-iso-"));
    fs.chmodSync(dir, 0o755);
    const content = path.join(dir, "content");
    fs.mkdirSync(content);
    fs.writeFileSync(path.join(content, "HELLO.TXT"), "stratus iso test\n");
    fs.mkdirSync(path.join(dir, "secondary"));
    const isoFile = path.join(dir, "secondary", "tiny.iso");
    execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-V", "STRATUSTEST", "-o", isoFile, content], { stdio: "ignore" });
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    pool = { id: `iso${process.pid}`, type: "local_dir", path: path.join(dir, "primary") };
    iso = { id: `isotest${process.pid}`, path: isoFile };
    spec = {
      name: vmName,
      displayName: "iso-test",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      template: { id: `tinyiso${process.pid}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
      storage: { poolId: pool.id, primaryPath: pool.path, rootDiskGib: 1 },
    };
  });

  afterAll(async () => {
    await driver.destroy(host, vmName).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("inserts the ISO into a defined domain's CD-ROM, uploaded once into its pool, and ejects it", async () => {
    await driver.create(host, spec);
    expect(cdrom(true)?.[3]).toBe("-"); // every domain has an empty drive
    await driver.attachIso(host, vmName, pool, iso);
    const onPool = path.join(pool.path, `template-${iso.id}.raw`);
    expect(cdrom(true)).toEqual(["file", "cdrom", "hdc", onPool]);
    expect(fs.readFileSync(onPool).equals(fs.readFileSync(iso.path))).toBe(true);
    expect(virsh("dumpxml", "--domain", vmName, "--inactive")).toMatch(/<disk type='file' device='cdrom'>[\s\S]*?<readonly\/>/);
    await driver.attachIso(host, vmName, pool, iso); // idempotent
    await driver.detachIso(host, vmName);
    expect(cdrom(true)?.[3]).toBe("-");
    await driver.detachIso(host, vmName); // idempotent
  });

  it("changes the media of the running VM and of its definition", async () => {
    await driver.start(host, spec);
    await driver.attachIso(host, vmName, pool, iso);
    const onPool = path.join(pool.path, `template-${iso.id}.raw`);
    expect(cdrom(false)?.[3]).toBe(onPool);
    expect(cdrom(true)?.[3]).toBe(onPool);
    await driver.detachIso(host, vmName);
    expect(cdrom(false)?.[3]).toBe("-");
    expect(cdrom(true)?.[3]).toBe("-");
    await driver.stop(host, vmName, { force: true });
  });

  it("puts the CD-ROM first in the boot order when the VM boots from the ISO", async () => {
    await driver.create(host, { ...spec, iso: { iso, boot: true } });
    const xml = virsh("dumpxml", "--domain", vmName, "--inactive");
    expect(xml).toMatch(/<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
    expect(cdrom(true)?.[3]).toBe(path.join(pool.path, `template-${iso.id}.raw`));
    await driver.create(host, { ...spec, iso: { iso, boot: false } });
    expect(virsh("dumpxml", "--domain", vmName, "--inactive")).not.toContain("<boot dev='cdrom'/>");
  });
});
