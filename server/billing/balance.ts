import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { charges, credits } from "@/db/schema";

export interface BalanceRow {
  accountId: string;
  currency: string;
  /** Exact decimal string, major units (numeric(30,9) arithmetic in PostgreSQL, never a float). */
  balance: string;
  credits: string;
  charges: string;
}

/** `col in (ids…)`, or true when no ids are given. */
export const accountIn = (col: SQL, ids?: string[]) =>
  ids
    ? ids.length
      ? sql`${col} in (${sql.join(
          ids.map((i) => sql`${i}::uuid`),
          sql`, `,
        )})`
      : sql`false`
    : sql`true`;

/**
 * The ledger as a relation (account_id, currency, balance, credits, charges): Σ credits − Σ
 * charges per account and currency — the one place that says what a balance is. `before`: the
 * balance at that instant (credits entered before it, charges of periods starting before it), for
 * a statement's opening and closing balances. The sums are numeric in PostgreSQL and leave it as
 * text, so no float ever touches money.
 */
export function ledgerSql(opts: { accountIds?: string[]; before?: Date } = {}): SQL {
  const before = opts.before?.toISOString() ?? null;
  return sql`(
    select account_id, currency, sum(credit) - sum(charge) as balance, sum(credit) as credits, sum(charge) as charges
    from (
      select ${credits.accountId} as account_id, ${credits.currency} as currency, ${credits.amount} as credit, 0::numeric as charge
        from ${credits}
        where ${accountIn(sql`${credits.accountId}`, opts.accountIds)}
          and (${before}::timestamptz is null or ${credits.createdAt} < ${before}::timestamptz)
      union all
      select ${charges.accountId}, ${charges.currency}, 0::numeric, ${charges.amount}
        from ${charges}
        where ${accountIn(sql`${charges.accountId}`, opts.accountIds)}
          and (${before}::timestamptz is null or ${charges.periodStart} < ${before}::timestamptz)
    ) lines
    group by account_id, currency
  )`;
}

/** Balances per account and currency (see ledgerSql). */
export async function balances(db: DbOrTx, opts: { accountIds?: string[]; before?: Date } = {}): Promise<BalanceRow[]> {
  if (opts.accountIds && opts.accountIds.length === 0) return [];
  const rows = rowsOf<{ account_id: string; currency: string; balance: string; credits: string; charges: string }>(
    await db.execute(sql`
      select account_id, currency, trim_scale(balance)::text as balance, trim_scale(credits)::text as credits,
        trim_scale(charges)::text as charges
      from ${ledgerSql(opts)} ledger order by account_id, currency`),
  );
  return rows.map((r) => ({ accountId: r.account_id, currency: r.currency, balance: r.balance, credits: r.credits, charges: r.charges }));
}

/** One account's balance in one currency ("0" when it has no ledger lines in it). */
export async function balanceOf(db: DbOrTx, accountId: string, currency: string, before?: Date): Promise<string> {
  const rows = await balances(db, { accountIds: [accountId], before });
  return rows.find((r) => r.currency === currency)?.balance ?? "0";
}
