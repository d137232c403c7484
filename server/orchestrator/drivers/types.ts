/**
 * The narrow interface every hypervisor driver implements. Drivers know nothing of users, accounts
 * or permissions: they get a host and a VM spec, and are idempotent (creating what exists, stopping
 * what is stopped, or destroying what is gone succeeds).
 */
import type { NicSpec } from "../network/spec";
import type { VmSnapshotSupport } from "@/lib/vm-snapshot-state";

export type { VmSnapshotSupport };

export interface HostRef {
  id: string;
  name: string;
  address: string;
  hypervisorType: "simulator" | "kvm";
  /** libvirt domain type for this host: "kvm" where acceleration works, "qemu" (TCG) otherwise. */
  domainType?: "kvm" | "qemu";
}

export interface VmSpec {
  /** Hypervisor-side name, Stratus-generated (`i-<number>`); never user input. */
  name: string;
  cpuCores: number;
  cpuMhz: number;
  memoryMib: number;
  /**
   * The offering caps CPU use: each vCPU may use at most this percent of one host core (offering
   * MHz ÷ host MHz × 100). Absent when uncapped, or when the offering is as fast as the host.
   */
  cpuCapPercent?: number;
  template: { id: string; path: string; format: string; sizeGib: number };
  displayName: string;
  /** Where the VM's volumes live (real hypervisors): a primary storage directory on the host. */
  storage?: { poolId: string; primaryPath: string; rootDiskGib: number };
  /** Data volumes to define with the domain (besides the root disk, which is always vda). */
  volumes?: { vol: VolumeRef; target: string }[];
  /** The ISO in the VM's CD-ROM, and whether the VM boots from it (CD-ROM before the disk). */
  iso?: { iso: IsoRef; boot: boolean };
  /** NICs on Stratus networks (bridge of each network, MAC from IPAM); absent: the driver's default NIC. */
  nics?: NicSpec[];
}

/** An ISO (a template of format iso): its id and its image on the secondary store (on the Stratus server). */
export interface IsoRef {
  id: string;
  path: string;
}

/** A primary storage pool as a host sees it. */
export interface PoolRef {
  id: string;
  type: "simulator" | "local_dir";
  path: string;
}
export interface VolumeRef {
  pool: PoolRef;
  name: string /* Stratus-generated, e.g. vol-123 or i-12-root */;
}
export interface VolumeInfo {
  capacityBytes: number;
  allocationBytes: number;
}
export interface VolumeDriver {
  /** Creates an empty qcow2 volume, or one backed by a template when `template` is set; idempotent. */
  createVolume(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: VmSpec["template"] }): Promise<VolumeInfo>;
  deleteVolume(host: HostRef, vol: VolumeRef): Promise<void>;
  /** Grows the volume (online with blockresize when `vmName` is running); never shrinks. */
  resizeVolume(host: HostRef, vol: VolumeRef, sizeGib: number, vmName?: string): Promise<VolumeInfo>;
  /** Hot-plugs when the VM runs (virtio disk, target like "vdb") and always updates the persistent definition. */
  attachVolume(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void>;
  detachVolume(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void>;
  volumeInfo(host: HostRef, vol: VolumeRef): Promise<VolumeInfo | "missing">;
}

/**
 * Optional, beside VolumeDriver: copies a detached volume to another pool (an admin's volume
 * migration). A driver without it cannot migrate volumes; the job says so instead of losing data.
 */
export interface VolumeCopier {
  copyVolume(host: HostRef, from: VolumeRef, to: VolumeRef): Promise<VolumeInfo>;
}

/**
 * Optional, beside VolumeDriver: the bytes a pool's volumes really take on disk (thin qcow2 files
 * take less than their size; templates' copies in the pool count too), for the capacity page.
 */
export interface PoolUsageReader {
  poolUsage(host: HostRef, pool: PoolRef): Promise<{ allocationBytes: number; volumes: number }>;
}

/** A volume snapshot's file as the driver made it; the caller records it and hands it back. */
export interface SnapshotFile {
  /** Stratus-generated (`snap-<n>` style, never user input); names the file. */
  id: string;
  /** Where the snapshot lives (absolute path on the secondary store for libvirt). */
  file: string;
  kind: "full" | "incremental";
  /** The file of the snapshot this one is an increment on; null for a full one. */
  parentFile: string | null;
  /** Bytes written to the secondary store. */
  bytes: number;
  /** The volume's size when it was taken. */
  capacityBytes: number;
}

export interface TakeSnapshotOptions {
  id: string;
  /** Directory on the secondary store for this volume's snapshots. */
  dir: string;
  /** The volume's latest snapshot: the next one may be an increment on it. */
  previous?: SnapshotFile | null;
  /** Take a full snapshot even when an increment is possible. */
  full?: boolean;
  /** The VM the volume is attached to (required whenever it is attached). */
  vmName?: string;
}

/** Volume snapshots: take (idempotent per id), restore (the VM stopped), delete (merging it into its increments). */
export interface SnapshotDriver {
  takeSnapshot(host: HostRef, vol: VolumeRef, opts: TakeSnapshotOptions): Promise<SnapshotFile>;
  restoreSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, opts: { vmName?: string }): Promise<VolumeInfo>;
  /** Returns the increments on `snap` (its `children`), rewritten so they no longer need it. */
  deleteSnapshot(host: HostRef, snap: SnapshotFile, children: SnapshotFile[]): Promise<SnapshotFile[]>;
}

/**
 * VM snapshots (optional part of a driver): whole-VM snapshots the hypervisor keeps with the VM,
 * named by Stratus (`vmsnap-<id>`, never user input). Idempotent per name: taking one that exists,
 * or deleting one that is gone, succeeds.
 */
export interface VmSnapshotDriver {
  /** What this driver can take on the host (the service refuses, and the page does not offer, the rest). */
  vmSnapshotSupport(host: HostRef): VmSnapshotSupport;
  /** Disks, and memory when `memory` (the VM running); returns the primary storage it took. */
  takeVmSnapshot(host: HostRef, vmName: string, snap: { name: string; memory: boolean }): Promise<{ sizeBytes: number }>;
  /** Puts the VM back as it was: running from the saved memory for a memory snapshot, else its disks (VM stopped). */
  revertVmSnapshot(host: HostRef, vmName: string, name: string): Promise<void>;
  deleteVmSnapshot(host: HostRef, vmName: string, name: string): Promise<void>;
}

/** A self-contained image written to the secondary store (no backing file). */
export interface ExportedImage {
  /** Bytes the image takes on the secondary store. */
  bytes: number;
  /** The disk size the image describes. */
  virtualBytes: number;
}

/**
 * New volumes and templates from snapshots and volumes (issue 10): the snapshot's chain or the
 * volume's layers flattened, so the copy depends on nothing it came from.
 */
export interface ImageMaker {
  /** Creates volume `vol` holding snapshot `snap`'s data, at least `sizeGib` large; idempotent. */
  createVolumeFromSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, sizeGib: number): Promise<VolumeInfo>;
  /** Writes snapshot `snap` (its chain flattened) as a qcow2 image at `target` on the secondary store. */
  exportSnapshot(host: HostRef, snap: SnapshotFile, target: string): Promise<ExportedImage>;
  /** Writes volume `vol` (all its layers, the template's too) as a qcow2 image at `target`; the volume must not be in use. */
  exportVolume(host: HostRef, vol: VolumeRef, target: string): Promise<ExportedImage>;
}

export type DriverVmState = "running" | "stopped" | "paused";

export interface DriverVm {
  name: string;
  state: DriverVmState;
}

export interface HostFacts {
  cpuCores: number;
  cpuMhz: number;
  memoryMib: number;
  hypervisorVersion?: string;
  cpuModel?: string;
  libvirtVersion?: string;
  /** Whether hardware acceleration (KVM) works on the host. */
  kvmAccelerated?: boolean;
}

export interface VmStats {
  name: string;
  cpuPercent: number;
  memoryMib: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  /**
   * Per-NIC byte counters since the VM started, as the guest sees them (rx: received by the guest),
   * by interface index: the domain's NICs in device order. Absent: the driver cannot tell.
   */
  nics?: { index: number; rxBytes: number; txBytes: number }[];
}

export interface ConsoleEndpoint {
  host: string;
  port: number;
  password?: string;
}

export interface HypervisorDriver extends VolumeDriver, SnapshotDriver, ImageMaker {
  /** Checks the host answers and reports its facts; throws (transient) when it does not. */
  ping(host: HostRef): Promise<HostFacts>;
  /** Defines the VM (disks, devices) without starting it. */
  create(host: HostRef, vm: VmSpec): Promise<void>;
  start(host: HostRef, vm: VmSpec): Promise<void>;
  /** Graceful (ACPI) unless `force`; a graceful stop that times out falls back to a forced one. */
  stop(host: HostRef, name: string, opts: { force: boolean; timeoutMs?: number }): Promise<void>;
  reboot(host: HostRef, name: string): Promise<void>;
  /** Removes the VM and its disks from the host (expunge). */
  destroy(host: HostRef, name: string): Promise<void>;
  getState(host: HostRef, name: string): Promise<DriverVmState | "missing">;
  /** Every VM the host knows, in one call (the reconciler's cycle). */
  list(host: HostRef): Promise<DriverVm[]>;
  stats(host: HostRef): Promise<VmStats[]>;
  consoleEndpoint(host: HostRef, name: string): Promise<ConsoleEndpoint>;
  /**
   * Puts the ISO in the VM's CD-ROM: its image made available on the host first (on real
   * hypervisors uploaded once into `pool`, the VM's primary pool); the persistent definition always,
   * the running VM too when it runs. Booting from it is the VmSpec's `iso.boot`, applied at define.
   */
  attachIso(host: HostRef, vmName: string, pool: PoolRef | null, iso: IsoRef): Promise<void>;
  /** Empties the VM's CD-ROM (persistent definition, and the running VM); idempotent. */
  detachIso(host: HostRef, vmName: string): Promise<void>;
  /** VM snapshots, where the hypervisor has them (absent: the service refuses them with the reason). */
  readonly vmSnapshots?: VmSnapshotDriver;
}

/** A driver failure; `transient` ones are retried by the job runner. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly transient = false,
  ) {
    super(message);
    this.name = "DriverError";
  }
}
