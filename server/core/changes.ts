import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { changeKinds, type ChangeKind } from "@/lib/live";

/** The channel of the change feed (server/live): every Stratus process LISTENs on it once. */
export const CHANGE_CHANNEL = "stratus_changes";

export { changeKinds, type ChangeKind };

/**
 * A small notification that something changed, with the owner it is scoped by (null: no account,
 * an infrastructure object only the root admin sees). Carries no content: a client that hears it
 * re-reads through its own scoped queries.
 */
export interface Change {
  kind: ChangeKind;
  id: string;
  accountId: string | null;
  domainPath: string | null;
  /** A job's or event's resource type: the lists it makes stale (lib/live.ts). */
  resourceType?: string;
}

/**
 * Publishes a change with pg_notify in the caller's transaction (or as its own statement): it is
 * delivered on commit only, to every process listening on the database. Called from the few central
 * places where state changes (job queue, VM and volume transitions, alert evaluation, events).
 */
export async function publishChange(
  db: DbOrTx,
  c: { kind: ChangeKind; id: string; accountId?: string | null; domainPath?: string | null; resourceType?: string },
) {
  const payload: Change = {
    kind: c.kind,
    id: c.id,
    accountId: c.accountId ?? null,
    domainPath: c.domainPath ?? null,
    ...(c.resourceType ? { resourceType: c.resourceType } : {}),
  };
  await db.execute(sql`select pg_notify(${CHANGE_CHANNEL}, ${JSON.stringify(payload)})`);
}

/** A payload from the channel, or null when it is not one of ours (never trusted blindly). */
export function parseChange(payload: string): Change | null {
  try {
    const v = JSON.parse(payload) as Partial<Change>;
    if (!v || typeof v.id !== "string" || !changeKinds.includes(v.kind as ChangeKind)) return null;
    const str = (x: unknown) => (typeof x === "string" ? x : null);
    const resourceType = str(v.resourceType);
    return {
      kind: v.kind as ChangeKind,
      id: v.id,
      accountId: str(v.accountId),
      domainPath: str(v.domainPath),
      ...(resourceType ? { resourceType } : {}),
    };
  } catch {
    return null;
  }
}
