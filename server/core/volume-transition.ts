import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { volumes } from "@/db/schema";
import { publishChange } from "./changes";
import { assertVolumeTransition, type VolumeState } from "@/lib/volume-state";

export type Volume = typeof volumes.$inferSelect;

export interface VolumeTransition {
  /** The states the volume may be in for the move to happen; each must be allowed to go to `to`. */
  from: VolumeState | readonly VolumeState[];
  to: VolumeState;
  /** Columns written with the new state (a pool, a device target, an expunge date…). */
  set?: Omit<Partial<typeof volumes.$inferInsert>, "state" | "stateChangedAt">;
  /** A further guard (still attached to this VM…). */
  where?: SQL;
}

/**
 * The one way a volume's state changes: `UPDATE volumes … WHERE id = $1 AND state = ANY(from)
 * RETURNING *`, like transitionVm. A concurrent change makes it match nothing: null, and the caller
 * decides what that means (a conflict for the API, "leave it" for a job). A move the state table
 * (lib/volume-state.ts) does not allow is a programming error and throws.
 */
export async function transitionVolume(tx: DbOrTx, id: string, t: VolumeTransition): Promise<Volume | null> {
  const from: readonly VolumeState[] = typeof t.from === "string" ? [t.from] : t.from;
  if (from.length === 0) throw new Error("transitionVolume needs at least one state to move from");
  for (const f of from) assertVolumeTransition(f, t.to);
  const [row] = await tx
    .update(volumes)
    .set({ ...t.set, state: t.to, stateChangedAt: new Date() })
    .where(and(eq(volumes.id, id), inArray(volumes.state, [...from]), t.where))
    .returning();
  // Published on the change feed (core/changes.ts) in the same transaction.
  if (row) await publishChange(tx, { kind: "volume", id: row.id, accountId: row.accountId, domainPath: row.domainPath });
  return row ?? null;
}
