/**
 * The narrow interface every hypervisor driver implements. Drivers know nothing of users, accounts
 * or permissions: they get a host and a VM spec, and are idempotent (creating what exists, stopping
 * what is stopped, or destroying what is gone succeeds).
 */
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
}

export interface ConsoleEndpoint {
  host: string;
  port: number;
  password?: string;
}

export interface HypervisorDriver extends VolumeDriver {
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
