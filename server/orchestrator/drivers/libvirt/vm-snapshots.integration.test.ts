/**
 * VM snapshots on a real libvirtd (internal qcow2 snapshots): the tiny guest keeps a marker in its
 * RAM-backed root file system (written through the shell on its serial console); a memory snapshot
 * is taken, the marker changed, the VM reverted, and the guest reads the old marker back, still
 * running (its data disk's top layer a volume-snapshot overlay). Then a disk-only snapshot of the stopped VM (refused while it runs: libvirt 9.0 cannot),
 * delete, and destroy of a domain that has snapshots. One guest, removed with its pool afterwards.
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
import type { HostRef, PoolRef, VmSpec } from "../types";
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

/** Asks the guest for its marker and waits for the answer, tagged so answers before this one never count. */
async function guestMarker(tag: string) {
  typeIntoGuest(`echo "${tag}=[$(cat /marker)]"`);
  let found: string | undefined;
  await waitFor(`the guest's answer ${tag}`, () => {
    found = new RegExp(`^${tag}=\\[(\\w*)\\]`, "m").exec(serial())?.[1];
    return found !== undefined;
  });
  return found;
}

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
    const data = { pool, name: `vmsnapdata${process.pid}` };
    await driver.createVolume(host, data, { sizeGib: 1 });
    spec.volumes = [{ vol: data, target: "vdb" }];
    await driver.create(host, spec);
    await driver.snapshots.take(host, data, { id: "v1", dir: path.join(dir, "secondary", "snapshots"), vmName });
    expect(virsh("domblklist", "--domain", vmName, "--inactive")).toContain(`${data.name}.s-v1.qcow2`);
    await driver.start(host, spec);
    // The shell's prompt: input typed before the shell reads the serial line is lost.
    await waitFor("the guest's shell", () => serial().includes("/ # "));
    typeIntoGuest("echo before > /marker");
    expect(await guestMarker("M1")).toBe("before");

    const memory = await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-mem", memory: true });
    // The guest's 128 MiB of RAM, less what it never touched, is in the root disk now.
    expect(memory.sizeBytes).toBeGreaterThan(1024 ** 2);
    const xml = virsh("snapshot-dumpxml", "--domain", vmName, "--snapshotname", "vmsnap-mem");
    expect(xml).toMatch(/<memory snapshot='internal'\/>/);
    expect(xml).toMatch(/<disk name='vda' snapshot='internal'\/>\s*<disk name='vdb' snapshot='internal'\/>/);
    expect(await vms.takeVmSnapshot(host, vmName, { name: "vmsnap-mem", memory: true })).toEqual({ sizeBytes: 0 }); // a retried job

    typeIntoGuest("echo after > /marker");
    expect(await guestMarker("M2")).toBe("after");
    await vms.revertVmSnapshot(host, vmName, "vmsnap-mem");
    expect(await driver.getState(host, vmName)).toBe("running");
    expect(await guestMarker("M3")).toBe("before");
  }, 180_000);

  it("takes disk-only snapshots of the stopped VM only, deletes them, and destroys a domain that has snapshots", async () => {
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

    await driver.destroy(host, vmName); // undefine with --snapshots-metadata
    expect(await driver.getState(host, vmName)).toBe("missing");
    await vms.deleteVmSnapshot(host, vmName, "vmsnap-disk"); // the domain is gone: nothing to delete
  }, 180_000);
});
