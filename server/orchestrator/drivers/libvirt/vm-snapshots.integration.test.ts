/**
 * VM snapshots on a real libvirtd (internal qcow2 snapshots): the tiny guest keeps a marker in its
 * RAM-backed root file system (written through the shell on its serial console); a memory snapshot
 * is taken, the marker changed, the VM reverted, and the guest reads the old marker back, still
 * running, and a marker written to its data disk (whose top layer is a volume-snapshot overlay) is
 * gone again. Then a disk-only snapshot of the stopped VM (refused while it runs: libvirt 9.0 cannot),
 * delete, the data disk's next volume snapshot still an increment whose chain holds the disk as it
 * is, and destroy of a domain that has snapshots. One guest, removed with its pool afterwards.
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root and the image at
 * .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tty from "node:tty";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import type { HostRef, PoolRef, SnapshotFile, VmSpec, VolumeRef } from "../types";
import { LibvirtDriver } from "./driver";
import { parseDomBlkInfoPhysical } from "./vm-snapshots";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const driver = new LibvirtDriver({ nic: "none", pollMs: 100 });
const vms = driver.vmSnapshots;
const host: HostRef = { id: `vmsnap-test-${process.pid}`, name: "local", address: URI, hypervisorType: "kvm", domainType: "qemu" };
const vmName = `stratus-vmsnap-${process.pid}`;

let dir: string;
let pool: PoolRef;
let spec: VmSpec;
let data: VolumeRef;
let v1: SnapshotFile;
const snapshotDir = () => path.join(dir, "secondary", "snapshots");
const serialLog = () => path.join(pool.path, `${vmName}-serial.log`);
const serial = () => (fs.existsSync(serialLog()) ? fs.readFileSync(serialLog(), "utf8") : "");

async function waitFor(what: string, test: () => boolean, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; serial log ends: ${serial().slice(-400)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The guest's serial line, held open (and drained) by the test: QEMU reads a pty only while its other
 * end is open, so a line written and closed at once could be dropped. Opened again when the domain's
 * pty changes.
 */
let line: { pty: string; fd: number; reader: tty.ReadStream } | null = null;
function closeLine() {
  line?.reader.destroy();
  line = null;
}
function typeIntoGuest(text: string) {
  const pty = /<serial type='pty'>\s*<source path='([^']+)'/.exec(virsh("dumpxml", "--domain", vmName))?.[1];
  if (!pty) throw new Error("the domain has no serial pty");
  if (line?.pty !== pty) {
    closeLine();
    const fd = fs.openSync(pty, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    const reader = new tty.ReadStream(fd);
    reader.setRawMode(true);
    reader.on("data", () => {}); // the serial log has it all; keep the pty from filling up
    reader.on("error", () => {});
    line = { pty, fd, reader };
  }
  fs.writeSync(line.fd, `${text}\n`);
}

/** Asks the guest's shell for `expr` and waits for the answer, tagged so answers before this one never count. */
async function ask(tag: string, expr: string) {
  typeIntoGuest(`echo "${tag}=[${expr}]"`);
  let found: string | undefined;
  await waitFor(`the guest's answer ${tag}`, () => {
    found = new RegExp(`^${tag}=\\[([\\w-]*)\\]`, "m").exec(serial())?.[1];
    return found !== undefined;
  });
  return found;
}
const guestMarker = (tag: string) => ask(tag, "$(cat /marker)");
/** What the guest reads on its data disk at sector `sector` (zeros dropped). */
const guestDisk = (tag: string, sector: number) => ask(tag, `$(dd if=/dev/vdb bs=512 skip=${sector} count=1 2>/dev/null | tr -d '\\000')`);
const writeGuestDisk = (text: string, sector: number) =>
  typeIntoGuest(`printf ${text} | dd of=/dev/vdb bs=512 seek=${sector} conv=fsync 2>/dev/null`);

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt VM snapshots", () => {
  beforeAll(() => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-vmsnap-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    pool = { id: `vmsnap${process.pid}`, type: "local_dir", path: path.join(dir, "primary") };
    spec = {
      name: vmName,
      displayName: "vmsnap-test",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      template: { id: `tinyvmsnap${process.pid}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
      storage: { poolId: pool.id, primaryPath: pool.path, rootDiskGib: 1 },
    };
  });

  afterAll(async () => {
    closeLine();
    await driver.destroy(host, vmName).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reverts a running guest to its memory snapshot: the guest reads the marker it had then, still running", async () => {
    expect(vms.vmSnapshotSupport()).toEqual({ memory: true, diskOnlyWhileRunning: false });
    // A data volume too, and the data volume's top layer a volume-snapshot overlay (<name>.s-v1.qcow2):
    // the VM snapshot must span every disk, whatever its layers.
    data = { pool, name: `vmsnapdata${process.pid}` };
    await driver.createVolume(host, data, { sizeGib: 1 });
    spec.volumes = [{ vol: data, target: "vdb" }];
    await driver.create(host, spec);
    v1 = await driver.snapshots.take(host, data, { id: "v1", dir: snapshotDir(), vmName });
    expect(virsh("domblklist", "--domain", vmName, "--inactive")).toContain(`${data.name}.s-v1.qcow2`);
    await driver.start(host, spec);
    // The shell's prompt: input typed before the shell reads the serial line is lost.
    await waitFor("the guest's shell", () => serial().includes("/ # "));
    typeIntoGuest("echo before > /marker");
    expect(await guestMarker("M1")).toBe("before");
    writeGuestDisk("DISK-BEFORE", 2048); // at 1 MiB
    expect(await guestDisk("D1", 2048)).toBe("DISK-BEFORE");

    const memory = await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-mem", memory: true });
    // The guest's 128 MiB of RAM, less what it never touched, is in the root disk now.
    expect(memory.sizeBytes).toBeGreaterThan(1024 ** 2);
    const xml = virsh("snapshot-dumpxml", "--domain", vmName, "--snapshotname", "vmsnap-mem");
    expect(xml).toMatch(/<memory snapshot='internal'\/>/);
    expect(xml).toMatch(/<disk name='vda' snapshot='internal'\/>\s*<disk name='vdb' snapshot='internal'\/>/);
    expect(await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-mem", memory: true })).toEqual({ sizeBytes: 0 }); // a retried job

    typeIntoGuest("echo after > /marker");
    expect(await guestMarker("M2")).toBe("after");
    writeGuestDisk("DISK-AFTER", 4096); // at 2 MiB, synced to the disk
    expect(await guestDisk("D2", 4096)).toBe("DISK-AFTER");
    await vms.revertVmSnapshot(host, vmName, "vmsnap-mem");
    expect(await driver.getState(host, vmName)).toBe("running");
    expect(await guestMarker("M3")).toBe("before");
    expect(await guestDisk("D3", 4096)).toBe(""); // the disk went back too
    expect(await guestDisk("D4", 2048)).toBe("DISK-BEFORE");
  }, 180_000);

  it("takes disk-only snapshots of the stopped VM only, deletes them, the volume-snapshot chain goes on, and a domain with snapshots is destroyed", async () => {
    await expect(vms.takeVmSnapshot(host, vmName, { name: "vmsnap-disk", memory: false })).rejects.toThrow(
      /cannot take a disk-only snapshot of the running VM .*: stop it first, or include its memory/,
    );
    closeLine();
    await driver.stop(host, vmName, { force: true });
    await expect(vms.takeVmSnapshot(host, vmName, { name: "vmsnap-mem2", memory: true })).rejects.toThrow(/is not running/);
    await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-disk", memory: false });
    expect(virsh("snapshot-dumpxml", "--domain", vmName, "--snapshotname", "vmsnap-disk")).toMatch(
      /<state>shutoff<\/state>[\s\S]*<memory snapshot='no'\/>/,
    );
    // It hangs from the memory snapshot (current since the revert), as the service records parents.
    expect(virsh("snapshot-parent", "--domain", vmName, "--snapshotname", "vmsnap-disk")).toBe("vmsnap-mem");
    await vms.revertVmSnapshot(host, vmName, "vmsnap-disk");
    expect(await driver.getState(host, vmName)).toBe("stopped");

    await vms.deleteVmSnapshot(host, vmName, "vmsnap-mem");
    await vms.deleteVmSnapshot(host, vmName, "vmsnap-mem"); // idempotent
    expect(virsh("snapshot-list", "--domain", vmName, "--name")).toBe("vmsnap-disk");
    expect(() => virsh("snapshot-parent", "--domain", vmName, "--snapshotname", "vmsnap-disk")).toThrow(/has no parent/); // re-parented
    expect(parseDomBlkInfoPhysical(virsh("domblkinfo", "--domain", vmName, "--all"))).toBeGreaterThan(0);

    // With the VM snapshots gone, the data disk's volume snapshots go on: the next one is still an
    // increment on v1 (docs/storage.md says why), and its chain holds the disk as the VM has it now.
    await vms.deleteVmSnapshot(host, vmName, "vmsnap-disk");
    const v2 = await driver.snapshots.take(host, data, { id: "v2", dir: snapshotDir(), vmName, previous: v1 });
    expect([v2.kind, v2.parentFile]).toEqual(["incremental", v1.file]);
    const live = path.join(pool.path, `${data.name}.s-v2.qcow2`);
    execFileSync("qemu-img", ["compare", "-U", v2.file, live]); // exit 1 if they differ
    const raw = path.join(dir, "v2.raw");
    execFileSync("qemu-img", ["convert", "-O", "raw", v2.file, raw]);
    const at = (offset: number) => {
      const buf = Buffer.alloc(16);
      const fd = fs.openSync(raw, "r");
      fs.readSync(fd, buf, 0, 16, offset);
      fs.closeSync(fd);
      return buf.toString("latin1").replace(/\0/g, "");
    };
    expect([at(1024 ** 2), at(2 * 1024 ** 2)]).toEqual(["DISK-BEFORE", ""]);

    await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-last", memory: false });

    await driver.destroy(host, vmName); // undefine with --snapshots-metadata
    expect(await driver.getState(host, vmName)).toBe("missing");
    await vms.deleteVmSnapshot(host, vmName, "vmsnap-last"); // the domain is gone: nothing to delete
  }, 180_000);
});
