import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { accounts, domains, events, instances, jobs, users } from "@/db/schema";
import { type Caller, domainPathCondition, isRootAdmin, ownedCondition } from "./caller";

/**
 * What a caller may see of each table, written once as a SQL condition and used by lists and by
 * get-by-id alike (`WHERE id = $1 AND <scope>`, no row → NOT_FOUND). Undefined: no restriction.
 * Users see their own account's rows, resellers their domain's subtree, the root admin everything.
 */

/** Instances (expunged ones are filtered separately: lists may ask for them). */
export const instanceScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: instances.accountId, domainPath: instances.domainPath });

export const jobScope = (c: Caller): SQL | undefined => ownedCondition(c, { accountId: jobs.accountId, domainPath: jobs.domainPath });

export const eventScope = (c: Caller): SQL | undefined => ownedCondition(c, { accountId: events.accountId, domainPath: events.domainPath });

/** Live domains of the caller's subtree; a tenant sees none. A removed domain is gone for everyone. */
export function domainScope(c: Caller): SQL | undefined {
  if (c.accountType === "user") return sql`false`;
  return and(domainPathCondition(c, domains.path), isNull(domains.removedAt));
}

/** Live accounts (the query joins `domains` on `accounts.domain_id`). A removed account is gone for everyone. */
export function accountScope(c: Caller): SQL | undefined {
  const live = isNull(accounts.removedAt);
  if (isRootAdmin(c)) return live;
  if (c.accountType === "user") return and(eq(accounts.id, c.accountId), live);
  return and(domainPathCondition(c, domains.path), live);
}

/** Users (the query joins `accounts` and `domains`). */
export function userScope(c: Caller): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  if (c.accountType === "user") return eq(users.accountId, c.accountId);
  return domainPathCondition(c, domains.path);
}
