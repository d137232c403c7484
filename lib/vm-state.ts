/** The VM states (CloudStack's VirtualMachine.State plus Unknown); the database enum is made from this list. */
export const vmStates = [
  "allocated",
  "starting",
  "running",
  "stopping",
  "stopped",
  "migrating",
  "error",
  "unknown",
  "destroyed",
  "expunging",
  "expunged",
] as const;

export type VmState = (typeof vmStates)[number];

/**
 * The VM state machine, the one table of allowed moves: CloudStack's VirtualMachine.State, plus
 * Unknown for VMs on a host that stopped answering. Pure, so the browser may import it; the server
 * changes a VM's state only through `transitionVm` (server/core/vm-transition.ts), which checks it.
 */
const allowed: Record<VmState, readonly VmState[]> = {
  allocated: ["starting", "error", "destroyed"],
  starting: ["running", "stopped", "error", "unknown"],
  running: ["stopping", "stopped", "migrating", "error", "unknown"],
  stopping: ["stopped", "running", "error", "unknown"],
  stopped: ["starting", "running", "destroyed", "error", "unknown"],
  migrating: ["running", "error", "unknown"],
  error: ["starting", "stopped", "running", "destroyed", "expunging"],
  unknown: ["running", "stopped", "error", "destroyed"],
  destroyed: ["stopped", "expunging"],
  expunging: ["expunged", "error"],
  expunged: [],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: VmState,
    readonly to: VmState,
  ) {
    super(`A VM cannot go from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function canTransition(from: VmState, to: VmState): boolean {
  return allowed[from].includes(to);
}

export function assertTransition(from: VmState, to: VmState) {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** The user-facing operations and the states each may start from. */
export const operations = {
  start: ["stopped", "error"],
  stop: ["running", "unknown", "error"],
  reboot: ["running"],
  destroy: ["allocated", "running", "stopped", "error", "unknown"],
  recover: ["destroyed"],
  expunge: ["destroyed", "error"],
  changeOffering: ["stopped"],
} as const satisfies Record<string, readonly VmState[]>;
export type VmOperation = keyof typeof operations;

export function operationAllowed(op: VmOperation, state: VmState): boolean {
  return (operations[op] as readonly VmState[]).includes(state);
}

export const allowedTransitions = allowed;

/** States a VM passes through on the way to another: the UI polls while a VM is in one. */
export const transitionalStates: readonly VmState[] = ["starting", "stopping", "migrating", "expunging"];

/** How a state is shown: "running" → "Running". */
export const stateLabel = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
