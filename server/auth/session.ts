import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, domains, users } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";

/**
 * Turns a session's user id into a Caller, re-reading the database on every request so that a
 * disabled or locked user or account, or a reset password (sessionVersion bump), ends the session.
 */
export async function resolveCaller(db: DbOrTx, userId: string, sessionVersion: number): Promise<Caller | null> {
  const [row] = await db
    .select({
      userId: users.id,
      username: users.username,
      userState: users.state,
      sessionVersion: users.sessionVersion,
      accountId: accounts.id,
      accountName: accounts.name,
      accountType: accounts.type,
      accountState: accounts.state,
      domainId: domains.id,
      domainPath: domains.path,
    })
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(users.id, userId));
  if (!row || row.userState !== "enabled" || row.accountState !== "enabled" || row.sessionVersion !== sessionVersion) return null;
  return {
    userId: row.userId,
    username: row.username,
    accountId: row.accountId,
    accountName: row.accountName,
    accountType: row.accountType,
    domainId: row.domainId,
    domainPath: row.domainPath,
  };
}
