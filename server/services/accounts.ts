import { randomUUID } from "node:crypto";
import { and, eq, gt, ilike, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { accounts, domains, resourceCounters, users } from "@/db/schema";
import { type Caller, domainInScope, domainPathCondition, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { hashPassword } from "@/server/auth/password";
import type { CreateAccountInput } from "@/lib/validation/identity";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound } from "./errors";
import { recordEvent } from "./events";
import { createCounters, defaultAccountLimits, resourceLabels } from "./limits";
import { getDomainInScope } from "./domains";
import { pageArray, type PageInput } from "./paging";

export type Account = typeof accounts.$inferSelect;
export type AccountWithDomain = Account & { domainPath: string; domainName: string };

const accountColumns = {
  id: accounts.id,
  domainId: accounts.domainId,
  name: accounts.name,
  type: accounts.type,
  state: accounts.state,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
  domainPath: domains.path,
  domainName: domains.name,
};

/** An account the caller may see (own account for users, subtree for resellers), or NOT_FOUND. */
export async function getAccountInScope(db: DbOrTx, caller: Caller, id: string): Promise<AccountWithDomain> {
  const [a] = await db.select(accountColumns).from(accounts).innerJoin(domains, eq(domains.id, accounts.domainId)).where(eq(accounts.id, id));
  if (!a) throw notFound("Account");
  const visible = caller.accountType === "user" ? a.id === caller.accountId : domainInScope(caller, a.domainPath);
  if (!visible) throw notFound("Account");
  return a;
}

/** Like getAccountInScope, but refuses changes to the caller's own account (no self-lockout). */
async function getManagedAccount(db: DbOrTx, caller: Caller, id: string) {
  const a = await getAccountInScope(db, caller, id);
  if (a.id === caller.accountId) throw badRequest("You cannot change your own account this way", "id");
  return a;
}

export async function listAccounts(
  db: DbOrTx,
  caller: Caller,
  input: PageInput & { domainId?: string; includeSubdomains?: boolean },
) {
  const conds: (SQL | undefined)[] = [domainPathCondition(caller, domains.path)];
  if (input.domainId) {
    const d = await getDomainInScope(db, caller, input.domainId);
    conds.push(input.includeSubdomains ? sql`${domains.path} like ${`${escapeLike(d.path)}%`}` : eq(accounts.domainId, d.id));
  }
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(accounts.name, q), ilike(domains.name, q)));
  }
  const rows = await db
    .select(accountColumns)
    .from(accounts)
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(and(...conds))
    .orderBy(accounts.name)
    .limit(10_000);
  return pageArray(rows, input, (r, s) => (s in r ? r[s as keyof typeof r] : undefined));
}

export async function createAccount(db: Db, caller: Caller, input: CreateAccountInput) {
  const domain = await getDomainInScope(db, caller, input.domainId);
  if (input.type === "root_admin") {
    if (!isRootAdmin(caller)) throw forbidden("Only the root administrator can create root administrator accounts");
    if (domain.parentId !== null) throw badRequest("Root administrator accounts belong to the ROOT domain", "type");
  }
  const passwordHash = await hashPassword(input.password);
  const accountId = randomUUID();
  try {
    return await db.transaction(async (tx) => {
      const [account] = await tx
        .insert(accounts)
        .values({ id: accountId, domainId: domain.id, name: input.name, type: input.type })
        .returning();
      await createCounters(tx, { accountId }, input.type === "user" ? defaultAccountLimits : {});
      const [user] = await tx
        .insert(users)
        .values({
          accountId,
          username: input.username,
          passwordHash,
          email: input.email,
          firstName: input.firstName,
          lastName: input.lastName,
        })
        .returning({ id: users.id, username: users.username });
      await recordEvent(tx, {
        type: "ACCOUNT.CREATE",
        description: `Created ${input.type.replace("_", " ")} account ${input.name} in domain ${domain.name} with user ${input.username}`,
        actorUserId: caller.userId,
        accountId,
        domainId: domain.id,
        domainPath: domain.path,
        resourceType: "account",
        resourceId: accountId,
      });
      return { account: account!, user: user! };
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.username, input.username));
      if (taken) throw conflict(`Username "${input.username}" is already taken`, "username");
      throw conflict(`An account named "${input.name}" already exists in domain ${domain.name}`, "name");
    }
    throw e;
  }
}

export async function renameAccount(db: Db, caller: Caller, input: { id: string; name: string }) {
  const a = await getAccountInScope(db, caller, input.id);
  if (caller.accountType === "user") throw notFound("Account");
  try {
    return await db.transaction(async (tx) => {
      const [updated] = await tx.update(accounts).set({ name: input.name }).where(eq(accounts.id, a.id)).returning();
      await recordEvent(tx, {
        type: "ACCOUNT.UPDATE",
        description: `Renamed account ${a.name} to ${input.name}`,
        actorUserId: caller.userId,
        accountId: a.id,
        domainId: a.domainId,
        domainPath: a.domainPath,
        resourceType: "account",
        resourceId: a.id,
      });
      return updated!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`An account named "${input.name}" already exists in this domain`, "name");
    throw e;
  }
}

/** Enable, disable or lock an account. Disabling or locking ends its users' sessions. */
export async function setAccountState(db: Db, caller: Caller, input: { id: string; state: Account["state"] }) {
  const a = await getManagedAccount(db, caller, input.id);
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(accounts).set({ state: input.state }).where(eq(accounts.id, a.id)).returning();
    if (input.state !== "enabled") {
      await tx.update(users).set({ sessionVersion: sql`${users.sessionVersion} + 1` }).where(eq(users.accountId, a.id));
    }
    await recordEvent(tx, {
      type: `ACCOUNT.${input.state === "enabled" ? "ENABLE" : input.state === "disabled" ? "DISABLE" : "LOCK"}`,
      description: `Account ${a.name} is now ${input.state}`,
      actorUserId: caller.userId,
      accountId: a.id,
      domainId: a.domainId,
      domainPath: a.domainPath,
      resourceType: "account",
      resourceId: a.id,
    });
    return updated!;
  });
}

/**
 * Deletes an account that owns nothing. An account that still owns resources is refused with a
 * list of what it owns (the orchestrator issue turns this into a cleanup job).
 */
export async function deleteAccount(db: Db, caller: Caller, id: string) {
  const a = await getManagedAccount(db, caller, id);
  const inUse = await db
    .select({ resourceType: resourceCounters.resourceType, used: resourceCounters.used })
    .from(resourceCounters)
    .where(and(eq(resourceCounters.accountId, a.id), gt(resourceCounters.used, 0)));
  if (inUse.length) {
    const what = inUse.map((r) => `${r.used} ${resourceLabels[r.resourceType].toLowerCase()}`).join(", ");
    throw badRequest(`Account ${a.name} still owns resources (${what}); release them before deleting it`, "id");
  }
  await db.transaction(async (tx) => {
    await tx.delete(accounts).where(eq(accounts.id, a.id));
    await recordEvent(tx, {
      type: "ACCOUNT.DELETE",
      description: `Deleted account ${a.name}`,
      actorUserId: caller.userId,
      domainId: a.domainId,
      domainPath: a.domainPath,
      resourceType: "account",
      resourceId: a.id,
    });
  });
}
