/** Volume snapshot states: Creating while the job copies it, Ready, Error (the take failed), Destroyed (deleted). */
export const snapshotStates = ["creating", "ready", "error", "destroyed"] as const;
export type SnapshotState = (typeof snapshotStates)[number];
