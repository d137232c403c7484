import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { vmSnapshots } from "@/db/schema";
import { assertVmSnapshotTransition, type VmSnapshotState } from "@/lib/vm-snapshot-state";

export type VmSnapshot = typeof vmSnapshots.$inferSelect;

export interface VmSnapshotTransition {
  /** The states the snapshot may be in for the move to happen; each must be allowed to go to `to`. */
  from: VmSnapshotState | readonly VmSnapshotState[];
  to: VmSnapshotState;
  /** Columns written with the new state (size, error, current…). */
  set?: Omit<Partial<typeof vmSnapshots.$inferInsert>, "state" | "id">;
  where?: SQL;
}

/**
 * The one way a VM snapshot's state changes: `UPDATE vm_snapshots … WHERE id = $1 AND state =
 * ANY(from) RETURNING *`, like transitionVolume. A concurrent change makes it match nothing: null,
 * and the caller decides what that means. A move lib/vm-snapshot-state.ts does not allow throws.
 */
export async function transitionVmSnapshot(tx: DbOrTx, id: string, t: VmSnapshotTransition): Promise<VmSnapshot | null> {
  const from: readonly VmSnapshotState[] = typeof t.from === "string" ? [t.from] : t.from;
  if (from.length === 0) throw new Error("transitionVmSnapshot needs at least one state to move from");
  for (const f of from) assertVmSnapshotTransition(f, t.to);
  const [row] = await tx
    .update(vmSnapshots)
    .set({ ...t.set, state: t.to })
    .where(and(eq(vmSnapshots.id, id), inArray(vmSnapshots.state, [...from]), t.where))
    .returning();
  return row ?? null;
}
