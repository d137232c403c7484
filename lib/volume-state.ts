/** ROOT: a VM's boot disk (from its template, lives and dies with the VM); DATADISK: from a disk offering. */
export const volumeTypes = ["root", "datadisk"] as const;
export type VolumeType = (typeof volumeTypes)[number];

/** The volume states (CloudStack's Volume.State without its snapshot states); the database enum is made from this list. */
export const volumeStates = [
  "allocated",
  "creating",
  "ready",
  "attaching",
  "detaching",
  "resizing",
  "migrating",
  "reverting",
  "destroyed",
  "expunged",
  "error",
] as const;
export type VolumeState = (typeof volumeStates)[number];

/**
 * The volume state machine, the one table of allowed moves: Allocated (no pool yet) → Creating →
 * Ready; Attaching, Detaching, Resizing, Migrating and Reverting (to a snapshot) while a job works; Destroyed (recoverable) →
 * Expunged. Pure, so the browser may import it; the server changes a volume's state only through
 * `transitionVolume` (server/core/volume-transition.ts), which checks it.
 */
const allowed: Record<VolumeState, readonly VolumeState[]> = {
  allocated: ["attaching", "creating", "destroyed", "error"],
  creating: ["ready", "error", "destroyed", "expunged"],
  ready: ["attaching", "detaching", "resizing", "migrating", "reverting", "destroyed", "expunged", "error"],
  attaching: ["ready", "allocated", "error"],
  detaching: ["ready", "error"],
  resizing: ["ready", "error"],
  migrating: ["ready", "error"],
  reverting: ["ready", "error"],
  destroyed: ["ready", "allocated", "expunged", "error"],
  error: ["destroyed", "expunged"],
  expunged: [],
};

export class IllegalVolumeTransitionError extends Error {
  constructor(
    readonly from: VolumeState,
    readonly to: VolumeState,
  ) {
    super(`A volume cannot go from ${from} to ${to}`);
    this.name = "IllegalVolumeTransitionError";
  }
}

export const canMoveVolume = (from: VolumeState, to: VolumeState) => allowed[from].includes(to);

export function assertVolumeTransition(from: VolumeState, to: VolumeState) {
  if (!canMoveVolume(from, to)) throw new IllegalVolumeTransitionError(from, to);
}

/** The user-facing operations on a volume and the states each may start from. */
export const volumeOperations = {
  attach: ["allocated", "ready"],
  detach: ["ready"],
  resize: ["allocated", "ready"],
  destroy: ["allocated", "ready", "error"],
  recover: ["destroyed"],
  expunge: ["destroyed", "error"],
  migrate: ["ready"],
} as const satisfies Record<string, readonly VolumeState[]>;
export type VolumeOperation = keyof typeof volumeOperations;

export const volumeOperationAllowed = (op: VolumeOperation, state: VolumeState) =>
  (volumeOperations[op] as readonly VolumeState[]).includes(state);

/** States a volume passes through while a job works on it: pages poll while a volume is in one. */
export const volumeBusyStates: readonly VolumeState[] = ["creating", "attaching", "detaching", "resizing", "migrating", "reverting"];

export const allowedVolumeTransitions = allowed;
