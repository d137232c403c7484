import { randomUUID } from "node:crypto";
import { count as countOf } from "@/lib/count";
import { and, count, desc, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { accounts, domains, instances, jobs, users } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { accountScope } from "@/server/authz/scopes";
import { hashPassword } from "@/server/auth/password";
import type { CreateAccountInput } from "@/lib/validation/identity";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import type { JobType } from "@/server/orchestrator/jobs/registry";
import { checkCeiling } from "./limit-ceiling";
import { createCounters, defaultAccountLimits } from "@/server/core/limits";
import { getDomainInScope, lockLiveDomain } from "./domains";
import { pageArray, type PageInput } from "./paging";

export type Account = typeof accounts.$inferSelect;
export type AccountWithDomain = Account & { domainPath: string; domainName: string };

const accountColumns = {
  id: accounts.id,
  domainId: accounts.domainId,
  name: accounts.name,
  type: accounts.type,
  state: accounts.state,
  removedAt: accounts.removedAt,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
  domainPath: domains.path,
  domainName: domains.name,
};

/** Accounts with their domain, the join `accountScope` filters on. */
const accountRows = (db: DbOrTx) => db.select(accountColumns).from(accounts).innerJoin(domains, eq(domains.id, accounts.domainId));

/**
 * An account the caller may see (own account for users, subtree for resellers), or NOT_FOUND.
 * A removed account is gone (its row stays only for the history that names it).
 */
export async function getAccountInScope(db: DbOrTx, caller: Caller, id: string): Promise<AccountWithDomain> {
  const [a] = await accountRows(db).where(and(eq(accounts.id, id), accountScope(caller)));
  if (!a) throw notFound("Account");
  return a;
}

/** Like getAccountInScope, but refuses changes to the caller's own account (no self-lockout). */
async function getManagedAccount(db: DbOrTx, caller: Caller, id: string) {
  const a = await getAccountInScope(db, caller, id);
  if (a.id === caller.accountId) throw badRequest("You cannot change your own account this way", "id");
  return a;
}

/** An account being deleted takes no more changes: only its deletion may be run again. */
export function refuseIfRemoving(a: Pick<Account, "name" | "state">) {
  if (a.state === "removing") throw conflict(`Account ${a.name} is being deleted`, "id");
}

export async function listAccounts(db: DbOrTx, caller: Caller, input: PageInput & { domainId?: string; includeSubdomains?: boolean }) {
  const conds: (SQL | undefined)[] = [accountScope(caller)];
  if (input.domainId) {
    const d = await getDomainInScope(db, caller, input.domainId);
    conds.push(input.includeSubdomains ? sql`${domains.path} like ${`${escapeLike(d.path)}%`}` : eq(accounts.domainId, d.id));
  }
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(accounts.name, q), ilike(domains.name, q)));
  }
  const rows = await accountRows(db)
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
  if (input.limits) await checkCeiling(db, caller, input.limits);
  const passwordHash = await hashPassword(input.password);
  const accountId = randomUUID();
  try {
    return await db.transaction(async (tx) => {
      await lockLiveDomain(tx, domain.id);
      const [account] = await tx
        .insert(accounts)
        .values({ id: accountId, domainId: domain.id, name: input.name, type: input.type })
        .returning();
      await createCounters(tx, { accountId }, { ...(input.type === "user" ? defaultAccountLimits : {}), ...input.limits });
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
  refuseIfRemoving(a);
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
  refuseIfRemoving(a);
  return db.transaction(async (tx) => {
    // Guarded: a deletion that started meanwhile is not undone by enabling the account.
    const [updated] = await tx
      .update(accounts)
      .set({ state: input.state })
      .where(and(eq(accounts.id, a.id), inArray(accounts.state, ["enabled", "disabled", "locked"])))
      .returning();
    if (!updated) throw conflict(`Account ${a.name} is being deleted`, "id");
    if (input.state !== "enabled") {
      await tx
        .update(users)
        .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
        .where(eq(users.accountId, a.id));
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
    return updated;
  });
}

/** The job that carries out a deletion (server/services/account-cleanup.ts). */
const ACCOUNT_CLEANUP_JOB: JobType = "account.cleanup";

/** The account's latest cleanup job, if it has one (to follow or retry a deletion). */
export async function latestCleanupJob(db: DbOrTx, accountId: string) {
  const [j] = await db
    .select({ id: jobs.id, status: jobs.status, error: jobs.error, progress: jobs.progress, progressMessage: jobs.progressMessage })
    .from(jobs)
    .where(and(eq(jobs.resourceId, accountId), eq(jobs.type, ACCOUNT_CLEANUP_JOB)))
    .orderBy(desc(jobs.createdAt))
    .limit(1);
  return j ?? null;
}

/** The account page's view: the account and, while it is being deleted, the job doing it. */
export async function getAccountDetail(db: DbOrTx, caller: Caller, id: string) {
  const a = await getAccountInScope(db, caller, id);
  const cleanup = a.state === "removing" ? await latestCleanupJob(db, a.id) : null;
  return { ...a, cleanup };
}

/** What deleting the account destroys, for the confirmation: its instances (by state) and users. */
export async function accountDeletionPreview(db: DbOrTx, caller: Caller, id: string) {
  const a = await getManagedAccount(db, caller, id);
  const [vms, [u]] = await Promise.all([
    db
      .select({ state: instances.state, n: count() })
      .from(instances)
      .where(and(eq(instances.accountId, a.id), ne(instances.state, "expunged")))
      .groupBy(instances.state),
    db.select({ n: count() }).from(users).where(eq(users.accountId, a.id)),
  ]);
  const byState = Object.fromEntries(vms.map((r) => [r.state, r.n])) as Partial<Record<(typeof vms)[number]["state"], number>>;
  return {
    id: a.id,
    name: a.name,
    instances: vms.reduce((sum, r) => sum + r.n, 0),
    running: byState.running ?? 0,
    users: u?.n ?? 0,
  };
}

/**
 * Deletes an account the way CloudStack does: at once the account goes to `removing` (its users
 * are signed out and cannot sign in; nothing new can be created in it), and an account.cleanup job
 * destroys and expunges its instances, gives back every counter, removes its users and marks the
 * account removed. Returns the job to follow. Asking again while it runs returns the same job;
 * after a failed cleanup it starts a new one.
 */
export async function deleteAccount(db: Db, caller: Caller, id: string): Promise<{ jobId: string }> {
  const a = await getManagedAccount(db, caller, id);
  const [live] = await db
    .select({ n: count() })
    .from(instances)
    .where(and(eq(instances.accountId, a.id), ne(instances.state, "expunged")));
  try {
    return await db.transaction(async (tx) => {
      const [marked] = await tx
        .update(accounts)
        .set({ state: "removing" })
        .where(and(eq(accounts.id, a.id), isNull(accounts.removedAt)))
        .returning({ id: accounts.id });
      if (!marked) throw notFound("Account");
      // Sessions end now, not at their next expiry.
      await tx
        .update(users)
        .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
        .where(eq(users.accountId, a.id));
      const job = await enqueueJob(tx, {
        type: "account.cleanup",
        resourceType: "account",
        resourceId: a.id,
        accountId: a.id,
        domainPath: a.domainPath,
        userId: caller.userId,
        input: { instances: live?.n ?? 0 },
        maxAttempts: 10,
      });
      await recordEvent(tx, {
        type: "ACCOUNT.DELETE",
        description: `Deleting account ${a.name}: its ${countOf(live?.n ?? 0, "instance")} ${live?.n === 1 ? "is" : "are"} destroyed and expunged, then its users and the account are removed`,
        actorUserId: caller.userId,
        accountId: a.id,
        domainId: a.domainId,
        domainPath: a.domainPath,
        resourceType: "account",
        resourceId: a.id,
      });
      return { jobId: job.id };
    });
  } catch (e) {
    // A cleanup already in flight (one job per resource): follow it instead of starting another.
    if (e instanceof ServiceError && e.code === "CONFLICT") {
      const running = await latestCleanupJob(db, a.id);
      if (running && (running.status === "queued" || running.status === "running")) return { jobId: running.id };
    }
    throw e;
  }
}
