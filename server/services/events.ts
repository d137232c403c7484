import { and, desc, eq, gte, ilike, inArray, like, lte, or, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, events } from "@/db/schema";
import { type Caller, escapeLike, ownedCondition } from "@/server/authz/caller";
import type { EventFilters } from "@/lib/validation/events";
import { getAccountInScope } from "./accounts";
import { getDomainInScope } from "./domains";
import { pageOf, type PageInput } from "./paging";
import { getUserInScope } from "./users";

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

/**
 * Events the caller may see: own account (user), subtree (reseller), all (root), with the name of
 * the account each belongs to. An account, domain or user filter outside the scope is NOT_FOUND.
 */
export async function listEvents(db: DbOrTx, caller: Caller, input: PageInput & EventFilters) {
  const conds: (SQL | undefined)[] = [ownedCondition(caller, { accountId: events.accountId, domainPath: events.domainPath })];
  if (input.accountId) conds.push(eq(events.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  if (input.domainId) conds.push(like(events.domainPath, `${escapeLike((await getDomainInScope(db, caller, input.domainId)).path)}%`));
  if (input.userId) conds.push(eq(events.actorUserId, (await getUserInScope(db, caller, input.userId)).id));
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
  const page = await pageOf(db, events, and(...conds), input, { createdAt: events.createdAt, type: events.type, level: events.level }, desc(events.createdAt));
  const ids = [...new Set(page.items.map((e) => e.accountId).filter((id): id is string => !!id))];
  const names = ids.length ? await db.select({ id: accounts.id, name: accounts.name }).from(accounts).where(inArray(accounts.id, ids)) : [];
  const nameOf = new Map(names.map((a) => [a.id, a.name]));
  return { ...page, items: page.items.map((e) => ({ ...e, accountName: e.accountId ? (nameOf.get(e.accountId) ?? null) : null })) };
}
