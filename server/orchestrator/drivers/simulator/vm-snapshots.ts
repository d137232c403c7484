import { and, eq, or } from "drizzle-orm";
import type { Db } from "@/db";
import { simulatorVmSnapshots, simulatorVms, simulatorVolumes } from "@/db/schema";
import { DriverError, type HostRef, type VmSnapshotDriver, type VmSnapshotSupport } from "../types";

const MIB = 1024 ** 2;
/** What a simulated snapshot takes besides the memory: the disks' metadata. */
const METADATA_BYTES = MIB;

/**
 * The simulator's VM snapshots: a row per snapshot with the VM's state and its volumes' allocations
 * when taken, which a revert puts back. Memory and disk-only snapshots of a running VM both work
 * (a simulated hypervisor has no libvirt 9.0 restriction). `enter` applies latency and faults.
 */
export class SimulatorVmSnapshots implements VmSnapshotDriver {
  constructor(
    private readonly db: Db,
    private readonly enter: (op: "takeVmSnapshot" | "revertVmSnapshot" | "deleteVmSnapshot", host: HostRef) => Promise<void>,
  ) {}

  vmSnapshotSupport(): VmSnapshotSupport {
    return { memory: true, diskOnlyWhileRunning: true };
  }

  private async vm(host: HostRef, vmName: string) {
    const [vm] = await this.db
      .select()
      .from(simulatorVms)
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, vmName)));
    if (!vm) throw new DriverError(`VM ${vmName} is not defined on ${host.name}`);
    return vm;
  }

  /** The VM's root volume and the data volumes plugged into it. */
  private volumesOf(host: HostRef, vmName: string) {
    return this.db
      .select()
      .from(simulatorVolumes)
      .where(
        or(
          eq(simulatorVolumes.name, `${vmName}-root`),
          and(eq(simulatorVolumes.attachedHostId, host.id), eq(simulatorVolumes.attachedVm, vmName)),
        ),
      );
  }

  private where(host: HostRef, vmName: string, name: string) {
    return and(eq(simulatorVmSnapshots.hostId, host.id), eq(simulatorVmSnapshots.vmName, vmName), eq(simulatorVmSnapshots.name, name));
  }

  async takeVmSnapshot(host: HostRef, vmName: string, snap: { name: string; memory: boolean }) {
    await this.enter("takeVmSnapshot", host);
    const vm = await this.vm(host, vmName);
    if (snap.memory && vm.state !== "running") throw new DriverError(`VM ${vmName} is not running: its memory cannot be saved`);
    const vols = await this.volumesOf(host, vmName);
    const sizeBytes = (snap.memory ? vm.memoryMib * MIB : 0) + METADATA_BYTES * vols.length;
    await this.db
      .insert(simulatorVmSnapshots)
      .values({
        hostId: host.id,
        vmName,
        name: snap.name,
        memory: snap.memory,
        vmState: snap.memory ? "running" : "stopped",
        sizeBytes,
        volumes: vols.map((v) => ({ poolId: v.poolId, name: v.name, allocationBytes: Number(v.allocationBytes) })),
      })
      .onConflictDoNothing();
    const [row] = await this.db
      .select()
      .from(simulatorVmSnapshots)
      .where(this.where(host, vmName, snap.name));
    return { sizeBytes: Number(row!.sizeBytes) };
  }

  async revertVmSnapshot(host: HostRef, vmName: string, name: string) {
    await this.enter("revertVmSnapshot", host);
    const [saved] = await this.db
      .select()
      .from(simulatorVmSnapshots)
      .where(this.where(host, vmName, name));
    if (!saved) throw new DriverError(`VM ${vmName} has no snapshot ${name} on ${host.name}`);
    await this.vm(host, vmName);
    for (const v of saved.volumes)
      await this.db
        .update(simulatorVolumes)
        .set({ allocationBytes: v.allocationBytes })
        .where(and(eq(simulatorVolumes.poolId, v.poolId), eq(simulatorVolumes.name, v.name)));
    // A memory snapshot resumes the VM as it ran; a disk-only one leaves it stopped.
    await this.db
      .update(simulatorVms)
      .set(saved.vmState === "running" ? { state: "running" } : { state: "stopped", startedAt: null })
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, vmName)));
  }

  async deleteVmSnapshot(host: HostRef, vmName: string, name: string) {
    await this.enter("deleteVmSnapshot", host);
    await this.db.delete(simulatorVmSnapshots).where(this.where(host, vmName, name));
  }
}
