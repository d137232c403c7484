import { and, eq, ilike, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { accounts, domains, users } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import { userScope } from "@/server/authz/scopes";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import { endOtherSessions } from "@/server/auth/session";
import { beginAttempt, forgiveAttempt, sleep } from "@/server/auth/throttle";
import type { CreateUserInput } from "@/lib/validation/identity";
import { badRequest, conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { getAccountInScope, refuseIfRemoving } from "./accounts";
import { lockOpenAccount } from "@/server/core/limits";
import { pageArray, type PageInput } from "./paging";

/** What lists and forms may show of a user: never the password hash. */
const publicColumns = {
  id: users.id,
  accountId: users.accountId,
  username: users.username,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  state: users.state,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
  accountName: accounts.name,
  accountType: accounts.type,
  domainId: accounts.domainId,
  domainPath: domains.path,
  domainName: domains.name,
};

/** Users with their account and domain, the joins `userScope` filters on. */
const userRows = (db: DbOrTx) =>
  db
    .select(publicColumns)
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId));

/** A user the caller may see (a tenant: only its own account's), or NOT_FOUND. */
export async function getUserInScope(db: DbOrTx, caller: Caller, id: string) {
  const [u] = await userRows(db).where(and(eq(users.id, id), userScope(caller)));
  if (!u) throw notFound("User");
  return u;
}

async function getManagedUser(db: DbOrTx, caller: Caller, id: string) {
  const u = await getUserInScope(db, caller, id);
  if (u.id === caller.userId) throw badRequest("You cannot change your own user this way", "id");
  return u;
}

function event(
  caller: Caller,
  u: { id: string; accountId: string; domainId: string; domainPath: string },
  type: string,
  description: string,
) {
  return {
    type,
    description,
    actorUserId: caller.userId,
    accountId: u.accountId,
    domainId: u.domainId,
    domainPath: u.domainPath,
    resourceType: "user",
    resourceId: u.id,
  };
}

export async function listUsers(db: DbOrTx, caller: Caller, input: PageInput & { accountId?: string }) {
  const conds: (SQL | undefined)[] = [userScope(caller)];
  if (input.accountId) conds.push(eq(users.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(users.username, q), ilike(users.email, q), ilike(accounts.name, q)));
  }
  const rows = await userRows(db)
    .where(and(...conds))
    .orderBy(users.username)
    .limit(10_000);
  return pageArray(rows, input, (r, s) => (s in r ? r[s as keyof typeof r] : undefined));
}

export async function createUser(db: Db, caller: Caller, input: CreateUserInput) {
  const a = await getAccountInScope(db, caller, input.accountId);
  refuseIfRemoving(a);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      // A deletion that started meanwhile would miss this user: refuse inside the transaction too.
      await lockOpenAccount(tx, a.id);
      const [u] = await tx
        .insert(users)
        .values({
          accountId: a.id,
          username: input.username,
          passwordHash,
          email: input.email,
          firstName: input.firstName,
          lastName: input.lastName,
        })
        .returning({ id: users.id, username: users.username });
      await recordEvent(
        tx,
        event(
          caller,
          { id: u!.id, accountId: a.id, domainId: a.domainId, domainPath: a.domainPath },
          "USER.CREATE",
          `Created user ${input.username} in account ${a.name}`,
        ),
      );
      return u!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`Username "${input.username}" is already taken`, "username");
    throw e;
  }
}

export async function updateUser(db: Db, caller: Caller, input: { id: string; email?: string; firstName?: string; lastName?: string }) {
  const u = await getUserInScope(db, caller, input.id);
  return db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ email: input.email ?? null, firstName: input.firstName ?? null, lastName: input.lastName ?? null })
      .where(eq(users.id, u.id));
    await recordEvent(tx, event(caller, u, "USER.UPDATE", `Updated user ${u.username}`));
    return getUserInScope(tx, caller, u.id);
  });
}

/** Enable, disable or lock a user; anything but enabled ends its sessions at once. */
export async function setUserState(db: Db, caller: Caller, input: { id: string; state: "enabled" | "disabled" | "locked" }) {
  const u = await getManagedUser(db, caller, input.id);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({
        state: input.state,
        ...(input.state !== "enabled" ? { sessionVersion: sql`${users.sessionVersion} + 1` } : {}),
      })
      .where(eq(users.id, u.id));
    await recordEvent(
      tx,
      event(
        caller,
        u,
        `USER.${input.state === "enabled" ? "ENABLE" : input.state === "disabled" ? "DISABLE" : "LOCK"}`,
        `User ${u.username} is now ${input.state}`,
      ),
    );
  });
  return { ...u, state: input.state };
}

export async function resetPassword(db: Db, caller: Caller, input: { id: string; password: string }) {
  const u = await getManagedUser(db, caller, input.id);
  const passwordHash = await hashPassword(input.password);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, u.id));
    await recordEvent(tx, event(caller, u, "USER.PASSWORD.RESET", `Reset the password of user ${u.username}`));
  });
}

/**
 * Changes the caller's own password. The current-password check is throttled like a sign-in (it
 * is a password oracle otherwise); the change ends the user's other sessions, not this one.
 */
export async function changeOwnPassword(
  db: Db,
  caller: Caller,
  input: { currentPassword: string; newPassword: string },
  client: { ip?: string; sessionId?: string | null } = {},
) {
  const ip = client.ip ?? "unknown";
  const verdict = await beginAttempt(db, caller.username, ip);
  if (!verdict.allowed)
    throw new ServiceError("TOO_MANY_REQUESTS", "Too many wrong passwords; wait a few minutes and try again", "currentPassword");
  if (verdict.delayMs) await sleep(verdict.delayMs);
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, caller.userId));
  if (!row || !(await verifyPassword(input.currentPassword, row.passwordHash))) {
    throw badRequest("Current password is incorrect", "currentPassword");
  }
  await forgiveAttempt(db, caller.username, ip);
  const passwordHash = await hashPassword(input.newPassword);
  const ended = await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, caller.userId));
    const n = await endOtherSessions(tx, caller.userId, client.sessionId, "password_changed");
    await recordEvent(tx, {
      type: "USER.PASSWORD.CHANGE",
      description: `User ${caller.username} changed their password${n ? `; ${n} other session${n === 1 ? "" : "s"} ended` : ""}`,
      actorUserId: caller.userId,
      accountId: caller.accountId,
      domainId: caller.domainId,
      domainPath: caller.domainPath,
      resourceType: "user",
      resourceId: caller.userId,
    });
    return n;
  });
  return { endedSessions: ended };
}

export async function deleteUser(db: Db, caller: Caller, id: string) {
  const u = await getManagedUser(db, caller, id);
  const others = await db.select({ id: users.id }).from(users).where(eq(users.accountId, u.accountId)).limit(2);
  if (others.length < 2)
    throw badRequest(`User ${u.username} is the last user of account ${u.accountName}; delete the account instead`, "id");
  await db.transaction(async (tx) => {
    await tx.delete(users).where(eq(users.id, u.id));
    await recordEvent(tx, event(caller, u, "USER.DELETE", `Deleted user ${u.username}`));
  });
}
