import { and, eq, like, type SQL, type AnyColumn } from "drizzle-orm";

export type AccountType = "user" | "domain_admin" | "root_admin";

/** Who is calling, resolved from the session on every request (never trusted from the client). */
export interface Caller {
  userId: string;
  username: string;
  accountId: string;
  accountName: string;
  accountType: AccountType;
  domainId: string;
  /** Materialised path of the caller's domain, "/<root>/…/<own>/". */
  domainPath: string;
}

export const isRootAdmin = (c: Caller) => c.accountType === "root_admin";
export const isDomainAdmin = (c: Caller) => c.accountType === "domain_admin";
export const isAdmin = (c: Caller) => c.accountType !== "user";

/** SQL condition restricting a domain-path column to the caller's subtree (undefined: no limit). */
export function domainPathCondition(c: Caller, pathColumn: AnyColumn): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  return like(pathColumn, `${escapeLike(c.domainPath)}%`);
}

/**
 * Condition for rows owned by an account: admins see their subtree (via a domain path column),
 * users their own account only.
 */
export function ownedCondition(c: Caller, cols: { accountId: AnyColumn; domainPath: AnyColumn }): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  if (isDomainAdmin(c)) return domainPathCondition(c, cols.domainPath);
  return and(eq(cols.accountId, c.accountId));
}

/**
 * The same rule as ownedCondition, for one row already in memory (a change-feed notification):
 * the root admin sees all, a domain admin its subtree, a user its own account; a row without an
 * account (infrastructure) only the root admin. Tested against the SQL for the same callers.
 */
export function ownedBy(c: Caller, row: { accountId: string | null; domainPath: string | null }): boolean {
  if (isRootAdmin(c)) return true;
  if (isDomainAdmin(c)) return row.domainPath !== null && row.domainPath.startsWith(c.domainPath);
  return row.accountId !== null && row.accountId === c.accountId;
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}
