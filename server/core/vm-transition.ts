import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { instances } from "@/db/schema";
import { publishChange } from "./changes";
import { assertTransition, type VmState } from "@/lib/vm-state";

type Instance = typeof instances.$inferSelect;

export interface VmTransition {
  /** The states the VM may be in for the move to happen; each must be allowed to go to `to`. */
  from: VmState | readonly VmState[];
  to: VmState;
  /** Columns written with the new state (a host reservation released, an expunge date…). */
  set?: Omit<Partial<typeof instances.$inferInsert>, "state" | "stateChangedAt">;
  /** A further guard: the reconciler's "unchanged since I looked", "still on this host". */
  where?: SQL;
}

/**
 * The one way a VM's state changes: `UPDATE instances … WHERE id = $1 AND state = ANY(from)
 * RETURNING *`. The guard is in SQL, so a concurrent change (a stop racing a destroy, a job
 * finishing as the reconciler looks) makes it match nothing: null, and the caller decides what
 * that means (a conflict for the API, "leave it" for a job or the reconciler). A move the state
 * table (lib/vm-state.ts) does not allow is a programming error and throws. Each move is published
 * on the change feed (core/changes.ts) in the same transaction.
 */
export async function transitionVm(tx: DbOrTx, id: string, t: VmTransition): Promise<Instance | null> {
  const from: readonly VmState[] = typeof t.from === "string" ? [t.from] : t.from;
  if (from.length === 0) throw new Error("transitionVm needs at least one state to move from");
  for (const f of from) assertTransition(f, t.to);
  const [row] = await tx
    .update(instances)
    .set({ ...t.set, state: t.to, stateChangedAt: new Date() })
    .where(and(eq(instances.id, id), inArray(instances.state, [...from]), t.where))
    .returning();
  // The live streams hear of it when (and only if) the change commits.
  if (row) await publishChange(tx, { kind: "instance", id: row.id, accountId: row.accountId, domainPath: row.domainPath });
  return row ?? null;
}
