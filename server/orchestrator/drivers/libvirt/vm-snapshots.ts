/**
 * VM snapshots on libvirt: internal qcow2 snapshots taken by libvirt itself (`snapshot-create-as`),
 * the KVM mechanism CloudStack and Proxmox use for qcow2 disks. Every writable disk of the domain is
 * qcow2 (the root disk over its template, data volumes, any volume-snapshot overlay), so the
 * snapshot lives inside each disk's top layer and the memory state inside the first disk.
 *
 * What libvirt 9.0 with QEMU 7.2 does (tried on a throwaway domain, 2026-11-30):
 *   - running domain, default: disks and memory (`savevm`); revert resumes the VM as it ran;
 *   - stopped domain: disks only (`qemu-img snapshot -c` on each disk); revert leaves it stopped;
 *   - running domain, disk-only: refused ("internal snapshot of a running VM must include the memory
 *     state"; external disk snapshots cannot be reverted by this libvirt and would fight the volume
 *     snapshot overlays), so `diskOnlyWhileRunning` is false and the service refuses it first.
 * Sizes are what the snapshot added to the disks' files on the host (`domblkinfo` physical bytes
 * before and after): the memory state and the snapshot tables. Blocks that the snapshot keeps from
 * then on grow as the guest writes (copy on write) and are not counted.
 */
import { DriverError, type HostRef, type VmSnapshotDriver, type VmSnapshotSupport } from "../types";
import type { VirshCall } from "./storage";
import { NAME_RE } from "./xml";

const SNAPSHOT_NAME_RE = /^vmsnap-[A-Za-z0-9-]{1,64}$/;
/** A memory snapshot writes the guest's RAM: minutes for a large one. */
const SNAPSHOT_TIMEOUT_MS = 30 * 60_000;

const isSnapshotMissing = (e: unknown) =>
  e instanceof DriverError && /snapshot not found|no domain snapshot with matching name/i.test(e.message);

/** Total physical bytes of the domain's disks (`domblkinfo --all`; an empty CD-ROM shows "-"). */
export function parseDomBlkInfoPhysical(out: string): number {
  let total = 0;
  for (const line of out.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 4 && /^\d+$/.test(cols[3]!)) total += Number(cols[3]);
  }
  return total;
}

export class LibvirtVmSnapshots implements VmSnapshotDriver {
  constructor(private readonly conn: (host: HostRef) => VirshCall) {}

  vmSnapshotSupport(): VmSnapshotSupport {
    return { memory: true, diskOnlyWhileRunning: false };
  }

  private static check(vmName: string, name: string) {
    if (!NAME_RE.test(vmName)) throw new DriverError(`Refusing the domain name ${JSON.stringify(vmName)}`);
    if (!SNAPSHOT_NAME_RE.test(name)) throw new DriverError(`Refusing the snapshot name ${JSON.stringify(name)}`);
  }

  private async running(call: VirshCall, vmName: string) {
    return (await call(["domstate", "--domain", vmName])).stdout.trim() === "running";
  }

  private async exists(call: VirshCall, vmName: string, name: string) {
    try {
      await call(["snapshot-info", "--domain", vmName, "--snapshotname", name]);
      return true;
    } catch (e) {
      if (isSnapshotMissing(e)) return false;
      throw e;
    }
  }

  private async physical(call: VirshCall, vmName: string) {
    return parseDomBlkInfoPhysical((await call(["domblkinfo", "--domain", vmName, "--all"])).stdout);
  }

  async takeVmSnapshot(host: HostRef, vmName: string, snap: { name: string; memory: boolean }) {
    LibvirtVmSnapshots.check(vmName, snap.name);
    const call = this.conn(host);
    // A retried job finds it taken; its size was not seen, so it counts none (rare, and never more).
    if (await this.exists(call, vmName, snap.name)) return { sizeBytes: 0 };
    const running = await this.running(call, vmName);
    if (snap.memory && !running)
      throw new DriverError(`VM ${vmName} is not running: its memory cannot be saved; take a disk-only snapshot`);
    if (!snap.memory && running)
      throw new DriverError(
        `libvirt on ${host.name} cannot take a disk-only snapshot of the running VM ${vmName}: stop it first, or include its memory`,
      );
    const before = await this.physical(call, vmName);
    // Running: disks and memory; stopped: disks (internal qcow2 snapshots either way). --atomic: all disks or none.
    await call(["snapshot-create-as", "--domain", vmName, "--name", snap.name, "--atomic"], SNAPSHOT_TIMEOUT_MS);
    const after = await this.physical(call, vmName);
    return { sizeBytes: Math.max(0, after - before) };
  }

  async revertVmSnapshot(host: HostRef, vmName: string, name: string) {
    LibvirtVmSnapshots.check(vmName, name);
    await this.conn(host)(["snapshot-revert", "--domain", vmName, "--snapshotname", name], SNAPSHOT_TIMEOUT_MS);
  }

  async deleteVmSnapshot(host: HostRef, vmName: string, name: string) {
    LibvirtVmSnapshots.check(vmName, name);
    try {
      // Its children are re-parented to its parent by libvirt, as the service does in the database.
      await this.conn(host)(["snapshot-delete", "--domain", vmName, "--snapshotname", name], SNAPSHOT_TIMEOUT_MS);
    } catch (e) {
      if (isSnapshotMissing(e) || (e instanceof DriverError && /failed to get domain|Domain not found/i.test(e.message))) return;
      throw e;
    }
  }
}
