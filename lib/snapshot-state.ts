/** Volume snapshot states: Creating while the job copies it, Ready, Error (the take failed), Destroyed (deleted). */
export const snapshotStates = ["creating", "ready", "error", "destroyed"] as const;
export type SnapshotState = (typeof snapshotStates)[number];

/** The snapshot state machine: the one table of allowed moves (transitionSnapshot checks it). */
const allowed: Record<SnapshotState, readonly SnapshotState[]> = {
  creating: ["ready", "error"],
  ready: ["destroyed"],
  error: ["destroyed"],
  destroyed: [],
};

export const canMoveSnapshot = (from: SnapshotState, to: SnapshotState) => allowed[from].includes(to);
