import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx, Tx } from "@/db";
import { rowsOf } from "@/db/rows";
import { accountBalanceStates, instances, jobs } from "@/db/schema";
import { ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { retryOnDeadlock } from "@/server/core/retry";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { JobWaiting } from "@/server/orchestrator/jobs/errors";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { queueWebhook } from "@/server/webhooks/queue";
import { stopInstance } from "@/server/services/instances/operations";
import { accountIn, ledgerSql } from "./balance";

/** An account measured against the low-balance policy it inherits (null fields: that threshold is not set). */
export interface Standing {
  accountId: string;
  accountName: string;
  domainId: string;
  domainPath: string;
  policyDomainId: string;
  policyDomainName: string;
  currency: string;
  balance: string;
  notifyBelow: string | null;
  refuseBelow: string | null;
  stopBelow: string | null;
  stopGraceMinutes: number;
  belowNotify: boolean;
  belowRefuse: boolean;
  belowStop: boolean;
  lowNotifiedAt: Date | null;
  stopDueAt: Date | null;
  stoppedAt: Date | null;
}

/**
 * Every live account's standing: the policy of its nearest domain (itself or an ancestor) that
 * has one, its balance in that policy's currency (ledgerSql) and which thresholds it is below —
 * the one SQL place that says which policy applies and whether it bites. Numeric comparisons
 * happen in PostgreSQL. Root admin accounts are never held by a policy (the operator must not be
 * locked out of the cloud). Accounts without any policy are absent.
 */
export async function standings(db: DbOrTx, accountIds?: string[]): Promise<Standing[]> {
  if (accountIds && accountIds.length === 0) return [];
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with pol as (
        select distinct on (a.id) a.id as account_id, a.name as account_name, a.domain_id, d.path as domain_path,
          p.domain_id as policy_domain_id, pd.name as policy_domain_name, p.currency, p.notify_below, p.refuse_below,
          p.stop_below, p.stop_grace_minutes
        from accounts a
          join domains d on d.id = a.domain_id
          join domains pd on starts_with(d.path, pd.path)
          join balance_policies p on p.domain_id = pd.id
        where a.removed_at is null and a.type <> 'root_admin' and ${accountIn(sql`a.id`, accountIds)}
        order by a.id, pd.level desc
      )
      select pol.*, trim_scale(coalesce(l.balance, 0))::text as balance,
        trim_scale(pol.notify_below)::text as notify_text, trim_scale(pol.refuse_below)::text as refuse_text,
        trim_scale(pol.stop_below)::text as stop_text,
        coalesce(coalesce(l.balance, 0) < pol.notify_below, false) as below_notify,
        coalesce(coalesce(l.balance, 0) < pol.refuse_below, false) as below_refuse,
        coalesce(coalesce(l.balance, 0) < pol.stop_below, false) as below_stop,
        s.low_notified_at, s.stop_due_at, s.stopped_at
      from pol
        left join ${ledgerSql({ accountIds })} l on l.account_id = pol.account_id and l.currency = pol.currency
        left join account_balance_states s on s.account_id = pol.account_id
      order by pol.account_id`),
  );
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return rows.map((r) => ({
    accountId: r.account_id as string,
    accountName: r.account_name as string,
    domainId: r.domain_id as string,
    domainPath: r.domain_path as string,
    policyDomainId: r.policy_domain_id as string,
    policyDomainName: r.policy_domain_name as string,
    currency: r.currency as string,
    balance: r.balance as string,
    notifyBelow: (r.notify_text as string | null) ?? null,
    refuseBelow: (r.refuse_text as string | null) ?? null,
    stopBelow: (r.stop_text as string | null) ?? null,
    stopGraceMinutes: Number(r.stop_grace_minutes),
    belowNotify: r.below_notify === true,
    belowRefuse: r.below_refuse === true,
    belowStop: r.below_stop === true,
    lowNotifiedAt: date(r.low_notified_at),
    stopDueAt: date(r.stop_due_at),
    stoppedAt: date(r.stopped_at),
  }));
}

export async function standingOf(db: DbOrTx, accountId: string): Promise<Standing | null> {
  return (await standings(db, [accountId]))[0] ?? null;
}

/**
 * The one check of what a low balance refuses, called before anything is reserved: an account
 * below its policy's refusal threshold deploys and starts nothing, nor does one whose VMs the
 * policy has stopped while its balance stays below the stop threshold (else a start would undo
 * the stop). The root admin may still start a VM (the operator's decision); the caller is told
 * why and what to do.
 */
export async function refuseIfLowBalance(db: DbOrTx, accountId: string, what: "New deployments" | "Starting VMs") {
  const s = await standingOf(db, accountId);
  if (!s) return;
  if (s.belowRefuse)
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `${what} are refused because the balance of account ${s.accountName} is ${s.balance} ${s.currency}, ` +
        `below ${s.refuseBelow} ${s.currency}, the low-balance limit of domain ${s.policyDomainName}. ` +
        `Add credit (ask your provider) and try again`,
    );
  if (s.belowStop && s.stoppedAt)
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `${what} are refused because the VMs of account ${s.accountName} were stopped for its balance of ${s.balance} ${s.currency}, ` +
        `below ${s.stopBelow} ${s.currency}, the stop limit of domain ${s.policyDomainName}. Add credit (ask your provider) and try again`,
    );
}

const eventBase = (s: Standing) => ({
  accountId: s.accountId,
  domainId: s.domainId,
  domainPath: s.domainPath,
  resourceType: "account",
  resourceId: s.accountId,
});
const payloadOf = (s: Standing) => ({
  accountId: s.accountId,
  accountName: s.accountName,
  domainId: s.domainId,
  currency: s.currency,
  balance: s.balance,
  notifyBelow: s.notifyBelow,
  refuseBelow: s.refuseBelow,
  stopBelow: s.stopBelow,
  stopDueAt: s.stopDueAt?.toISOString() ?? null,
});

/** An event in the audit log and its webhook, in the same transaction. */
async function announce(tx: Tx, s: Standing, type: string, level: "info" | "warn", description: string) {
  await recordEvent(tx, { ...eventBase(s), type, level, description, details: payloadOf(s) });
  await queueWebhook(tx, { domainId: s.domainId, accountId: s.accountId, event: type, payload: payloadOf(s) });
}

/**
 * Queues the account's billing.balance-stop job to run at `due`, or moves the one already queued
 * (checked first: a unique violation would abort the caller's transaction). One still running
 * re-reads the standing when it is done, so it needs no second.
 */
async function scheduleStop(tx: Tx, stateId: string, s: Standing, due: Date) {
  const [active] = await tx
    .select({ id: jobs.id, status: jobs.status })
    .from(jobs)
    .where(and(eq(jobs.resourceId, stateId), inArray(jobs.status, ["queued", "running"])));
  if (active) {
    if (active.status === "queued") await tx.update(jobs).set({ runAfter: due }).where(eq(jobs.id, active.id));
    return;
  }
  const job = await enqueueJob(tx, {
    type: "billing.balance-stop",
    resourceType: "account_balance",
    resourceId: stateId,
    accountId: s.accountId,
    domainPath: s.domainPath,
    input: { accountId: s.accountId },
    maxAttempts: 5,
  });
  await tx.update(jobs).set({ runAfter: due }).where(eq(jobs.id, job.id));
}

/**
 * Evaluates one account against its policy, in one short transaction (the account's state row
 * locked): a crossing below `notifyBelow` raises BILLING.LOWBALANCE once (an event and a webhook),
 * and back above it BILLING.BALANCEOK; a crossing below `stopBelow` fixes the date its running VMs
 * will be stopped (BILLING.STOPSCHEDULED, a billing.balance-stop job due then), back above it
 * cancels it (BILLING.STOPCANCELLED). Refusal of deployments needs no state: the deploy path reads
 * the standing itself.
 */
export async function evaluateAccount(db: Db, accountId: string, now = new Date()): Promise<Standing | null> {
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      await tx.insert(accountBalanceStates).values({ accountId }).onConflictDoNothing();
      const [state] = await tx.select().from(accountBalanceStates).where(eq(accountBalanceStates.accountId, accountId)).for("update");
      const s = await standingOf(tx, accountId);
      const set: Partial<typeof accountBalanceStates.$inferInsert> = { evaluatedAt: now, lastBalance: s?.balance ?? null };
      if (!s) {
        // No policy (any more): nothing is pending for this account.
        Object.assign(set, { lowNotifiedAt: null, stopDueAt: null, stoppedAt: null });
      } else {
        if (s.belowNotify && !state!.lowNotifiedAt) {
          set.lowNotifiedAt = now;
          await announce(
            tx,
            s,
            "BILLING.LOWBALANCE",
            "warn",
            `The balance of account ${s.accountName} is ${s.balance} ${s.currency}, below ${s.notifyBelow} ${s.currency}`,
          );
        } else if (!s.belowNotify && state!.lowNotifiedAt) {
          set.lowNotifiedAt = null;
          await announce(
            tx,
            s,
            "BILLING.BALANCEOK",
            "info",
            `The balance of account ${s.accountName} is back to ${s.balance} ${s.currency}`,
          );
        }
        if (s.belowStop && !state!.stopDueAt) {
          const due = new Date(now.getTime() + s.stopGraceMinutes * 60_000);
          set.stopDueAt = due;
          set.stoppedAt = null;
          s.stopDueAt = due;
          await announce(
            tx,
            s,
            "BILLING.STOPSCHEDULED",
            "warn",
            `The running VMs of account ${s.accountName} will be stopped at ${due.toISOString()} unless its balance ` +
              `(${s.balance} ${s.currency}) is brought to ${s.stopBelow} ${s.currency} or more`,
          );
          await scheduleStop(tx, state!.id, s, due);
        } else if (!s.belowStop && state!.stopDueAt) {
          Object.assign(set, { stopDueAt: null, stoppedAt: null });
          s.stopDueAt = null;
          if (!state!.stoppedAt)
            await announce(
              tx,
              s,
              "BILLING.STOPCANCELLED",
              "info",
              `The stop of account ${s.accountName}'s VMs is cancelled: balance restored`,
            );
        }
      }
      await tx.update(accountBalanceStates).set(set).where(eq(accountBalanceStates.accountId, accountId));
      return s;
    }),
  );
}

/**
 * The schedule's tick: every account that has a policy, or state left from one. One transaction
 * per account, so a large cloud never holds one long transaction.
 */
export async function evaluateBalances(db: Db, now = new Date()) {
  const withPolicy = (await standings(db)).map((s) => s.accountId);
  const stale = (
    await db
      .select({ id: accountBalanceStates.accountId })
      .from(accountBalanceStates)
      .where(sql`${accountBalanceStates.lowNotifiedAt} is not null or ${accountBalanceStates.stopDueAt} is not null`)
  ).map((r) => r.id);
  const ids = [...new Set([...withPolicy, ...stale])];
  for (const id of ids) await evaluateAccount(db, id, now);
  return { accounts: ids.length };
}

const balanceStopInput = z.object({ accountId: z.uuid() });

declare global {
  interface StratusJobInputs {
    "billing.balance-stop": typeof balanceStopInput;
  }
}

/**
 * billing.balance-stop: due at the account's stopDueAt. If the account is still below its stop
 * threshold, every running VM of it gets the normal stop operation (its vm.stop job, events,
 * usage); one busy with another operation is tried again a minute later. Balance restored
 * meanwhile: nothing happens.
 */
export const balanceStopJob = defineJob({
  type: "billing.balance-stop",
  input: balanceStopInput,
  async run(ctx) {
    const { accountId } = ctx.input;
    const s = await standingOf(ctx.db, accountId);
    if (!s?.belowStop || !s.stopDueAt) return;
    if (s.stopDueAt.getTime() > Date.now()) throw new JobWaiting(s.stopDueAt.getTime() - Date.now(), "not due yet");
    const running = await ctx.db
      .select()
      .from(instances)
      .where(and(eq(instances.accountId, accountId), eq(instances.state, "running")));
    const reason = `balance ${s.balance} ${s.currency} is below ${s.stopBelow} ${s.currency} (low-balance policy of ${s.policyDomainName})`;
    let busy = 0;
    for (const vm of running) {
      try {
        await stopInstance(ctx.db, null, vm.id, false, vm, reason);
      } catch (e) {
        if (e instanceof ServiceError && e.code === "CONFLICT") busy++;
        else throw e;
      }
    }
    if (busy) throw new JobWaiting(60_000, `${busy} VMs busy; trying again`);
    await ctx.db.transaction(async (tx) => {
      await tx.update(accountBalanceStates).set({ stoppedAt: new Date() }).where(eq(accountBalanceStates.accountId, accountId));
      await announce(tx, s, "BILLING.VMSSTOPPED", "warn", `Stopped ${running.length} running VMs of account ${s.accountName}: ${reason}`);
    });
  },
});
