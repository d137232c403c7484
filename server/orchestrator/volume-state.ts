import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { volumes, volumeStates } from "@/db/schema/volumes";

export type VolumeState = (typeof volumeStates)[number];
export type Volume = typeof volumes.$inferSelect;

/**
 * The volume state machine (CloudStack's Volume.State, without its snapshot states): Allocated (no
 * pool yet) → Creating → Ready; Attaching, Detaching, Resizing and Migrating while a job works;
 * Destroyed (recoverable) → Expunged. Every change goes through `moveVolume`.
 */
const allowed: Record<VolumeState, readonly VolumeState[]> = {
  allocated: ["attaching", "creating", "destroyed", "error"],
  creating: ["ready", "error", "destroyed", "expunged"],
  ready: ["attaching", "detaching", "resizing", "migrating", "destroyed", "expunged", "error"],
  attaching: ["ready", "allocated", "error"],
  detaching: ["ready", "error"],
  resizing: ["ready", "error"],
  migrating: ["ready", "error"],
  destroyed: ["ready", "allocated", "expunged", "error"],
  error: ["ready", "destroyed", "expunged"],
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

/**
 * The one guarded state change of a volume: `UPDATE … WHERE id = $1 AND state = ANY(from)`, so a
 * concurrent change makes it match nothing (null comes back) instead of overwriting it. Every
 * `from → to` must be a move the state machine allows.
 */
export async function moveVolume(
  tx: DbOrTx,
  id: string,
  from: readonly VolumeState[],
  to: VolumeState,
  set: Partial<typeof volumes.$inferInsert> = {},
): Promise<Volume | null> {
  for (const f of from) if (!canMoveVolume(f, to)) throw new IllegalVolumeTransitionError(f, to);
  const [row] = await tx
    .update(volumes)
    .set({ ...set, state: to, stateChangedAt: new Date() })
    .where(and(eq(volumes.id, id), inArray(volumes.state, [...from])))
    .returning();
  return row ?? null;
}
