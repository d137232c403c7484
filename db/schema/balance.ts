import { sql } from "drizzle-orm";
import { check, index, integer, numeric, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

export const creditKind = pgEnum("credit_kind", ["credit", "adjustment"]);

/**
 * Credits: money put on an account (a payment, a voucher) or an adjustment (positive or negative)
 * by an admin or a reseller of the account's domain, with a reason. Append-only: a mistake is
 * corrected by another adjustment, never by an edit, so the ledger is its own audit trail.
 * Balance = Σ credits − Σ charges, per currency (server/billing/balance.ts, one SQL place).
 */
export const credits = pgTable(
  "credits",
  {
    id: id(),
    accountId: uuid("account_id").notNull(),
    domainId: uuid("domain_id").notNull(),
    /** The account's domain path when entered, for the scope condition (reseller = path prefix). */
    domainPath: text("domain_path").notNull(),
    kind: creditKind("kind").notNull(),
    /** ISO 4217 code. */
    currency: text("currency").notNull(),
    /** Major units, exact; a credit is positive, an adjustment either sign. */
    amount: numeric("amount", { precision: 30, scale: 9 }).notNull(),
    reason: text("reason").notNull(),
    createdBy: uuid("created_by"),
    createdByName: text("created_by_name"),
    createdAt: createdAt(),
  },
  (t) => [
    index("credits_account_idx").on(t.accountId, t.createdAt),
    index("credits_domain_path_idx").on(t.domainPath),
    check("credits_amount_nonzero", sql`${t.amount} <> 0`),
    check("credits_positive_credit", sql`${t.kind} <> 'credit' or ${t.amount} > 0`),
  ],
);

/**
 * The low-balance policy of a domain, inherited by its subtree down to the next domain that sets
 * its own (server/billing/policy.ts, one SQL place). Thresholds are balances in `currency`:
 * below `notifyBelow` an event and a webhook (once per crossing); below `refuseBelow` new
 * deployments are refused; below `stopBelow` running VMs are stopped `stopGraceHours` later.
 */
export const balancePolicies = pgTable("balance_policies", {
  domainId: uuid("domain_id").primaryKey(),
  currency: text("currency").notNull(),
  notifyBelow: numeric("notify_below", { precision: 30, scale: 9 }),
  refuseBelow: numeric("refuse_below", { precision: 30, scale: 9 }),
  stopBelow: numeric("stop_below", { precision: 30, scale: 9 }),
  stopGraceMinutes: integer("stop_grace_minutes").notNull().default(4320),
  updatedBy: uuid("updated_by"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * What the last evaluation of an account's balance found and did: when it was notified of the
 * crossing (cleared when the balance is back above), and when its running VMs will be stopped
 * (set on crossing `stopBelow`, cleared when back above). `id` is the resource of the account's
 * billing.balance-stop job (one at a time).
 */
export const accountBalanceStates = pgTable("account_balance_states", {
  accountId: uuid("account_id").primaryKey(),
  id: uuid("id").notNull().defaultRandom().unique(),
  lowNotifiedAt: timestamp("low_notified_at", { withTimezone: true }),
  stopDueAt: timestamp("stop_due_at", { withTimezone: true }),
  stoppedAt: timestamp("stopped_at", { withTimezone: true }),
  lastBalance: numeric("last_balance", { precision: 30, scale: 9 }),
  evaluatedAt: timestamp("evaluated_at", { withTimezone: true }),
});
