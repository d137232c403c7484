import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { snapshots } from "@/db/schema";
import { canMoveSnapshot, type SnapshotState } from "@/lib/snapshot-state";

export type Snapshot = typeof snapshots.$inferSelect;

export interface SnapshotTransition {
  /** The states the snapshot may be in for the move to happen; each must be allowed to go to `to`. */
  from: SnapshotState | readonly SnapshotState[];
  to: SnapshotState;
  /** Columns written with the new state (its file, sizes, the error…). */
  set?: Omit<Partial<typeof snapshots.$inferInsert>, "state">;
}

/**
 * The one way a snapshot's state changes, like transitionVolume: `UPDATE snapshots … WHERE id = $1
 * AND state = ANY(from) RETURNING *`. A concurrent change matches nothing: null, for the caller to
 * read. A move lib/snapshot-state.ts does not allow is a programming error and throws.
 */
export async function transitionSnapshot(tx: DbOrTx, id: string, t: SnapshotTransition): Promise<Snapshot | null> {
  const from: readonly SnapshotState[] = typeof t.from === "string" ? [t.from] : t.from;
  if (from.length === 0) throw new Error("transitionSnapshot needs at least one state to move from");
  for (const f of from) if (!canMoveSnapshot(f, t.to)) throw new Error(`A snapshot cannot go from ${f} to ${t.to}`);
  const [row] = await tx
    .update(snapshots)
    .set({ ...t.set, state: t.to })
    .where(and(eq(snapshots.id, id), inArray(snapshots.state, [...from])))
    .returning();
  return row ?? null;
}
