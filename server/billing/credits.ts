import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { rowsOf } from "@/db/rows";
import type { Db, DbOrTx } from "@/db";
import { accounts, balancePolicies, credits, domains } from "@/db/schema";
import { type Caller, isRootAdmin, ownedCondition } from "@/server/authz/caller";
import { badRequest } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import type { AddCreditInput, SetBalancePolicyInput } from "@/lib/validation/billing";
import { getAccountInScope } from "@/server/services/accounts";
import { getDomainInScope } from "@/server/services/domains";
import { queueWebhook } from "@/server/webhooks/queue";
import { evaluateAccount } from "./low-balance";

/** Credits: a tenant its account's, a reseller its subtree's, the root admin all. */
export const creditScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: credits.accountId, domainPath: credits.domainPath });

/**
 * Adds a credit or an adjustment to an account in the caller's scope (root admin, or a reseller
 * for accounts of its subtree but not its own: nobody credits themselves), with the event and the
 * BILLING.CREDIT webhook in the same transaction; then evaluates the account's policy, so a
 * credit lifts a refusal or a scheduled stop at once.
 */
export async function addCredit(db: Db, caller: Caller, input: AddCreditInput) {
  const a = await getAccountInScope(db, caller, input.accountId);
  if (a.id === caller.accountId && !isRootAdmin(caller)) throw badRequest("You cannot credit your own account", "accountId");
  const row = await db.transaction(async (tx) => {
    const [c] = await tx
      .insert(credits)
      .values({
        accountId: a.id,
        domainId: a.domainId,
        domainPath: a.domainPath,
        kind: input.kind,
        currency: input.currency,
        amount: input.amount,
        reason: input.reason,
        createdBy: caller.userId,
        createdByName: caller.username,
      })
      .returning();
    const details = { creditId: c!.id, kind: input.kind, currency: input.currency, amount: c!.amount, reason: input.reason };
    await recordEvent(tx, {
      type: "BILLING.CREDIT",
      description: `${input.kind === "credit" ? "Credit" : "Adjustment"} of ${input.amount} ${input.currency} to account ${a.name}: ${input.reason}`,
      actorUserId: caller.userId,
      accountId: a.id,
      domainId: a.domainId,
      domainPath: a.domainPath,
      resourceType: "account",
      resourceId: a.id,
      details,
    });
    await queueWebhook(tx, { domainId: a.domainId, accountId: a.id, event: "BILLING.CREDIT", payload: { accountId: a.id, ...details } });
    return c!;
  });
  await evaluateAccount(db, a.id);
  return row;
}

/** The credits history of an account in scope (newest first). */
export async function listCredits(db: DbOrTx, caller: Caller, accountId: string | undefined, limit = 200) {
  const id = accountId ? (await getAccountInScope(db, caller, accountId)).id : caller.accountId;
  return db
    .select()
    .from(credits)
    .where(and(eq(credits.accountId, id), creditScope(caller)))
    .orderBy(desc(credits.createdAt))
    .limit(limit);
}

/** The policy a domain sets itself (null: it inherits). Resellers read and set their subtree's, below their own domain. */
export async function getBalancePolicy(db: DbOrTx, caller: Caller, domainId: string) {
  const d = await getDomainInScope(db, caller, domainId);
  const [p] = await db.select().from(balancePolicies).where(eq(balancePolicies.domainId, d.id));
  return p ?? null;
}

/** Thresholds nest (stop ≤ refuse ≤ notify, where both are set), compared exactly by PostgreSQL as numerics. */
async function refuseDisordered(db: DbOrTx, p: SetBalancePolicyInput) {
  const pairs: [string | null | undefined, string | null | undefined, string, string][] = [
    [p.refuseBelow, p.notifyBelow, "refuseBelow", "Refuse-below must not be above notify-below (tenants are warned first)"],
    [p.stopBelow, p.refuseBelow, "stopBelow", "Stop-below must not be above refuse-below"],
    [p.stopBelow, p.notifyBelow, "stopBelow", "Stop-below must not be above notify-below (tenants are warned first)"],
  ];
  for (const [low, high, field, message] of pairs) {
    if (!low || !high) continue;
    const [r] = rowsOf<{ above: boolean }>(await db.execute(sql`select ${low}::numeric > ${high}::numeric as above`));
    if (r?.above) throw badRequest(message, field);
  }
}

/**
 * Sets a domain's low-balance policy (root admin: any domain; a reseller: domains below its own,
 * never its own — its provider sets that one), then evaluates the accounts it now governs.
 */
export async function setBalancePolicy(db: Db, caller: Caller, input: SetBalancePolicyInput) {
  const d = await getDomainInScope(db, caller, input.domainId);
  if (!isRootAdmin(caller) && d.id === caller.domainId) throw badRequest("Your own domain's policy is set by your provider", "domainId");
  await refuseDisordered(db, input);
  const values = {
    domainId: d.id,
    currency: input.currency,
    notifyBelow: input.notifyBelow ?? null,
    refuseBelow: input.refuseBelow ?? null,
    stopBelow: input.stopBelow ?? null,
    stopGraceMinutes: input.stopGraceMinutes,
    updatedBy: caller.userId,
    updatedAt: new Date(),
  };
  await db.transaction(async (tx) => {
    await tx.insert(balancePolicies).values(values).onConflictDoUpdate({ target: balancePolicies.domainId, set: values });
    await recordEvent(tx, {
      type: "BILLING.POLICY",
      description: `Low-balance policy of domain ${d.name} set`,
      actorUserId: caller.userId,
      domainId: d.id,
      domainPath: d.path,
      resourceType: "domain",
      resourceId: d.id,
      details: values,
    });
  });
  await reevaluateSubtree(db, d.path);
  return values;
}

export async function removeBalancePolicy(db: Db, caller: Caller, domainId: string) {
  const d = await getDomainInScope(db, caller, domainId);
  if (!isRootAdmin(caller) && d.id === caller.domainId) throw badRequest("Your own domain's policy is set by your provider", "domainId");
  await db.delete(balancePolicies).where(eq(balancePolicies.domainId, d.id));
  await reevaluateSubtree(db, d.path);
}

async function reevaluateSubtree(db: Db, path: string) {
  const ids = await db
    .select({ id: accounts.id })
    .from(accounts)
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(sql`starts_with(${domains.path}, ${path}) and ${accounts.removedAt} is null`);
  for (const { id } of ids) await evaluateAccount(db, id);
}
