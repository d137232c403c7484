import { and, desc, eq, gte, ilike, like, lte, or, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { events } from "@/db/schema";
import { type Caller, escapeLike, ownedCondition } from "@/server/authz/caller";
import { pageOf, type PageInput } from "./paging";

export interface EventInput {
  type: string;
  description: string;
  level?: "info" | "warn" | "error";
  actorUserId?: string | null;
  accountId?: string | null;
  domainId?: string | null;
  domainPath?: string | null;
  resourceType?: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
}

/** Records an audit event; call it inside the transaction that makes the change. */
export async function recordEvent(db: DbOrTx, e: EventInput) {
  await db.insert(events).values({
    type: e.type,
    description: e.description,
    level: e.level ?? "info",
    actorUserId: e.actorUserId ?? null,
    accountId: e.accountId ?? null,
    domainId: e.domainId ?? null,
    domainPath: e.domainPath ?? null,
    resourceType: e.resourceType ?? null,
    resourceId: e.resourceId ?? null,
    details: e.details ?? null,
  });
}

/** Sort keys of the event list (the router validates `sort` against them) and their columns. */
export const eventSort = { createdAt: events.createdAt, type: events.type, level: events.level };

/** Events the caller may see: own account (user), subtree (reseller), all (root). */
export async function listEvents(
  db: DbOrTx,
  caller: Caller,
  input: PageInput & { level?: "info" | "warn" | "error"; type?: string; resourceId?: string; from?: Date; to?: Date },
) {
  const conds: (SQL | undefined)[] = [ownedCondition(caller, { accountId: events.accountId, domainPath: events.domainPath })];
  if (input.level) conds.push(eq(events.level, input.level));
  // A prefix, so "VM" finds every VM event and "USER.LOGIN" both logins and failures.
  if (input.type) conds.push(like(events.type, `${escapeLike(input.type)}%`));
  if (input.resourceId) conds.push(eq(events.resourceId, input.resourceId));
  if (input.from) conds.push(gte(events.createdAt, input.from));
  if (input.to) conds.push(lte(events.createdAt, input.to));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(events.description, q), ilike(events.type, q)));
  }
  return pageOf(db, events, and(...conds), input, eventSort, desc(events.createdAt));
}
