import { and, desc, eq, gte, ilike, inArray, like, lte, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, events } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { eventScope } from "@/server/authz/scopes";
import type { EventFilters } from "@/lib/validation/events";
import { getAccountInScope } from "./accounts";
import { getDomainInScope } from "./domains";
import { pageOf, type PageInput } from "./paging";
import { getUserInScope } from "./users";

/** Sort keys of the event list (the router validates `sort` against them) and their columns. */
export const eventSort = { createdAt: events.createdAt, type: events.type, level: events.level };

/**
 * Events the caller may see: own account (user), subtree (reseller), all (root), with the name of
 * the account each belongs to. An account, domain or user filter outside the scope is NOT_FOUND.
 */
export async function listEvents(db: DbOrTx, caller: Caller, input: PageInput & EventFilters) {
  const conds: (SQL | undefined)[] = [eventScope(caller)];
  if (input.accountId) conds.push(eq(events.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  if (input.domainId) conds.push(like(events.domainPath, `${escapeLike((await getDomainInScope(db, caller, input.domainId)).path)}%`));
  if (input.userId) conds.push(eq(events.actorUserId, (await getUserInScope(db, caller, input.userId)).id));
  if (input.level) conds.push(eq(events.level, input.level));
  // A prefix, so "VM" finds every VM event and "USER.LOGIN" both logins and failures.
  if (input.type) conds.push(like(events.type, `${escapeLike(input.type)}%`));
  if (input.resourceId) conds.push(eq(events.resourceId, input.resourceId));
  if (input.from) conds.push(gte(events.createdAt, input.from));
  if (input.to) conds.push(lte(events.createdAt, input.to));
  const root = isRootAdmin(caller);
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    // Others search the text they are shown, so a search cannot find out which host ran a VM.
    const text = root ? events.description : sql<string>`replace(${events.description}, coalesce(${events.hostName}, ''), '')`;
    conds.push(or(ilike(text, q), ilike(events.type, q)));
  }
  const page = await pageOf(db, events, and(...conds), input, eventSort, desc(events.createdAt));
  const ids = [...new Set(page.items.map((e) => e.accountId).filter((id): id is string => !!id))];
  const names = ids.length ? await db.select({ id: accounts.id, name: accounts.name }).from(accounts).where(inArray(accounts.id, ids)) : [];
  const nameOf = new Map(names.map((a) => [a.id, a.name]));
  const items = page.items.map((e) => ({ ...e, accountName: e.accountId ? (nameOf.get(e.accountId) ?? null) : null }));
  return { ...page, items: root ? items : items.map(withoutHost) };
}

/**
 * An event as a tenant or reseller sees it: the host's name taken out of its text ("vm-1 is
 * running on sim-host-1" → "vm-1 is running"; a driver error naming it says "its host").
 */
export function withoutHost<E extends { description: string; hostName: string | null }>(e: E): E {
  return e.hostName ? { ...e, description: redactHost(e.description, e.hostName), hostName: null } : e;
}

/** `text` without the host name `host` (for callers other than the root admin). */
export function redactHost(text: string, host: string): string {
  return text.replaceAll(` on ${host}`, "").replaceAll(`host ${host}`, "host").replaceAll(host, "its host");
}
