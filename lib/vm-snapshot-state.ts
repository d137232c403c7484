/**
 * VM snapshots (issue 10): a snapshot of a whole VM, its disks and (for disk_and_memory) its memory,
 * kept by the hypervisor beside the disks, as CloudStack's KVM VM snapshots and Proxmox's are.
 * Client-safe: the instance page reads these lists.
 */
export const vmSnapshotTypes = ["disk_and_memory", "disk"] as const;
export type VmSnapshotType = (typeof vmSnapshotTypes)[number];

/** The database enum is made from this list. */
export const vmSnapshotStates = ["creating", "ready", "reverting", "deleting", "error", "deleted"] as const;
export type VmSnapshotState = (typeof vmSnapshotStates)[number];

/**
 * The one table of allowed moves: Creating → Ready (or Error when the take failed); Ready ⇄ Reverting
 * (a revert that fails leaves the snapshot Ready: it is still there); Ready or Error → Deleting →
 * Deleted (or Error when the hypervisor would not delete it); Deleted is final. The server changes
 * a VM snapshot's state only through `transitionVmSnapshot` (server/core/vm-snapshot-transition.ts).
 */
const allowed: Record<VmSnapshotState, readonly VmSnapshotState[]> = {
  creating: ["ready", "error"],
  ready: ["reverting", "deleting", "deleted"],
  reverting: ["ready"],
  deleting: ["deleted", "error"],
  error: ["deleting", "deleted"],
  deleted: [],
};

export class IllegalVmSnapshotTransitionError extends Error {
  constructor(
    readonly from: VmSnapshotState,
    readonly to: VmSnapshotState,
  ) {
    super(`A VM snapshot cannot go from ${from} to ${to}`);
    this.name = "IllegalVmSnapshotTransitionError";
  }
}

export const canMoveVmSnapshot = (from: VmSnapshotState, to: VmSnapshotState) => allowed[from].includes(to);

export function assertVmSnapshotTransition(from: VmSnapshotState, to: VmSnapshotState) {
  if (!canMoveVmSnapshot(from, to)) throw new IllegalVmSnapshotTransitionError(from, to);
}

/** What a hypervisor can snapshot (its driver says; the instance page offers only this). */
export interface VmSnapshotSupport {
  /** Disk and memory of a running VM. */
  memory: boolean;
  /** Disk-only of a running VM (libvirt 9.0 takes internal disk-only snapshots of stopped VMs only). */
  diskOnlyWhileRunning: boolean;
}
