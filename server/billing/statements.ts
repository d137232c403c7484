import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { charges, credits } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { getAccountInScope } from "@/server/services/accounts";
import { balances } from "./balance";

/** A UTC calendar month "YYYY-MM" as [from, to); the current month ends now (month to date). */
export function monthRange(month: string | undefined, now = new Date()) {
  const [y, m] = month ? month.split("-").map(Number) : [now.getUTCFullYear(), now.getUTCMonth() + 1];
  const from = new Date(Date.UTC(y!, m! - 1, 1));
  const end = new Date(Date.UTC(y!, m, 1));
  const current = from <= now && now < end;
  return { month: from.toISOString().slice(0, 7), from, to: current ? now : end, end, current };
}

export interface StatementCurrency {
  currency: string;
  opening: string;
  charged: string;
  credited: string;
  closing: string;
  byType: { usageType: number; typeName: string; unit: string; quantity: string; amount: string; lines: number }[];
  credits: { id: string; createdAt: Date; kind: string; reason: string; amount: string; createdByName: string | null }[];
}

/**
 * An account's statement for a month (or the current month to date): per currency, the opening
 * balance (before the month), the charges by usage type with their quantities (charges of periods
 * starting in the month, joined to their usage records), the credits entered in it, and the
 * closing balance. Opening and closing come from the one balance query, so
 * closing = opening − charged + credited holds by construction, exactly (numeric).
 */
export async function statement(db: DbOrTx, caller: Caller, input: { accountId?: string; month?: string }, now = new Date()) {
  const account = await getAccountInScope(db, caller, input.accountId ?? caller.accountId);
  const range = monthRange(input.month, now);
  const [opening, closing] = [
    await balances(db, { accountIds: [account.id], before: range.from }),
    await balances(db, { accountIds: [account.id], before: range.to }),
  ];
  const byType = rowsOf<{
    currency: string;
    usage_type: number;
    type_name: string;
    unit: string;
    quantity: string;
    amount: string;
    lines: number;
  }>(
    await db.execute(sql`
      select c.currency, c.usage_type, coalesce(max(u.type_name), '') as type_name, coalesce(max(u.unit), '') as unit,
        trim_scale(coalesce(sum(u.quantity), 0))::text as quantity, trim_scale(sum(c.amount))::text as amount, count(*)::int as lines
      from ${charges} c
        left join usage_records u on u.account_id = c.account_id and u.usage_type = c.usage_type and u.resource_id = c.resource_id
          and u.period_start = c.period_start and u.dimensions_key = c.dimensions_key
      where c.account_id = ${account.id} and c.period_start >= ${range.from.toISOString()}::timestamptz
        and c.period_start < ${range.to.toISOString()}::timestamptz
      group by c.currency, c.usage_type order by c.currency, c.usage_type`),
  );
  const creditRows = await db
    .select()
    .from(credits)
    .where(and(eq(credits.accountId, account.id), gte(credits.createdAt, range.from), lt(credits.createdAt, range.to)))
    .orderBy(asc(credits.createdAt));
  const currencies = [...new Set([...opening, ...closing].map((b) => b.currency))].sort();
  const sections: StatementCurrency[] = currencies.map((cur) => {
    const open = opening.find((b) => b.currency === cur);
    const close = closing.find((b) => b.currency === cur);
    const types = byType.filter((t) => t.currency === cur);
    return {
      currency: cur,
      opening: open?.balance ?? "0",
      closing: close?.balance ?? "0",
      // Differences of the two exact balances' parts, computed by PostgreSQL below.
      charged: "0",
      credited: "0",
      byType: types.map((t) => ({
        usageType: Number(t.usage_type),
        typeName: t.type_name,
        unit: t.unit,
        quantity: t.quantity,
        amount: t.amount,
        lines: Number(t.lines),
      })),
      credits: creditRows
        .filter((c) => c.currency === cur)
        .map((c) => ({
          id: c.id,
          createdAt: c.createdAt,
          kind: c.kind,
          reason: c.reason,
          amount: c.amount,
          createdByName: c.createdByName,
        })),
    };
  });
  for (const s of sections) {
    const open = opening.find((b) => b.currency === s.currency);
    const close = closing.find((b) => b.currency === s.currency);
    const [d] = rowsOf<{ charged: string; credited: string }>(
      await db.execute(sql`select trim_scale(${close?.charges ?? "0"}::numeric - ${open?.charges ?? "0"}::numeric)::text as charged,
        trim_scale(${close?.credits ?? "0"}::numeric - ${open?.credits ?? "0"}::numeric)::text as credited`),
    );
    s.charged = d!.charged;
    s.credited = d!.credited;
  }
  return {
    account: { id: account.id, name: account.name, domainName: account.domainName },
    month: range.month,
    from: range.from,
    to: range.to,
    current: range.current,
    generatedAt: now,
    currencies: sections,
  };
}
export type Statement = Awaited<ReturnType<typeof statement>>;

/** The months an account has ledger lines in (newest first), plus the current one: the statements list. */
export async function statementMonths(db: DbOrTx, caller: Caller, accountId?: string, now = new Date()) {
  const account = await getAccountInScope(db, caller, accountId ?? caller.accountId);
  const rows = rowsOf<{ month: string }>(
    await db.execute(sql`
      select distinct to_char(t at time zone 'UTC', 'YYYY-MM') as month from (
        select ${charges.periodStart} as t from ${charges} where ${charges.accountId} = ${account.id}
        union all select ${credits.createdAt} from ${credits} where ${credits.accountId} = ${account.id}
      ) x order by 1 desc`),
  );
  const current = monthRange(undefined, now).month;
  const months = [...new Set([current, ...rows.map((r) => r.month)])].sort().reverse();
  return months.map((m) => ({ month: m, current: m === current }));
}
