import { sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { DAY_MINUTES, periodFloorSql } from "@/server/usage/period";
import { doneRecord } from "@/server/usage/visible";
import { pricedSql } from "./price-sql";

const STATE_ID = "usage";
const iso = (d: Date) => d.toISOString();
const rows = async <T>(tx: DbOrTx, q: SQL): Promise<T[]> => rowsOf<T>(await tx.execute(q));

/**
 * The usage records matching `where` (over `r`), as the rows pricedSql takes: priced at the
 * account's own domain's list. Only records the watermark covers (doneRecord).
 */
const billedRecords = (where: SQL) => sql`
  select * from (
    select r.account_id, r.usage_type, r.resource_id, r.period_start, r.dimensions_key, r.offering_id, r.seconds, r.size, r.dimensions,
      r.domain_path as price_path
    from usage_records r ${where}
  ) b where ${doneRecord(sql`b.period_start`)}`;

/** Inserts the charges of the records matching `where` (their old charges must be gone). */
async function insertCharges(tx: DbOrTx, where: SQL): Promise<number> {
  const [n] = await rows<{ n: number }>(
    tx,
    sql`with priced as (${pricedSql(billedRecords(where))}),
      ins as (
        insert into charges (account_id, domain_id, domain_path, usage_type, resource_id, period_start, dimensions_key,
          price_list_id, tariff_id, currency, amount)
        select r.account_id, r.domain_id, r.domain_path, r.usage_type, r.resource_id, r.period_start, r.dimensions_key,
          p.price_list_id, p.tariff_id, p.currency, p.amount
        from priced p
        join usage_records r on r.account_id = p.account_id and r.usage_type = p.usage_type and r.resource_id = p.resource_id
          and r.period_start = p.period_start and r.dimensions_key = p.dimensions_key
        returning 1
      )
      select count(*)::int as n from ins`,
  );
  return n?.n ?? 0;
}

export interface RateResult {
  charges: number;
  resources: number;
}

/**
 * Rates what the aggregation (re)wrote since the last run, in one transaction: every resource with
 * records aggregated since the watermark, or with facts folded since it (a late fact may have
 * removed records), has its charges from the period of its earliest such record or fact replaced by
 * the pricing of its records. Run right after `aggregateUsage` (the usage.aggregate job); a run
 * repeated changes nothing. Holds the aggregation's watermark row, so it never sees half a chunk.
 */
export async function rateUsage(db: Db): Promise<RateResult> {
  return db.transaction(async (tx) => {
    const [agg] = await rows<{ folded_xid: string; period_minutes: number | null }>(
      tx,
      sql`select folded_xid::text, period_minutes from usage_aggregation where id = 'usage' for update`,
    );
    if (!agg) return { charges: 0, resources: 0 };
    await tx.execute(
      sql`insert into usage_rating (id, rated_through, folded_xid) values (${STATE_ID}, '-infinity', 0) on conflict (id) do nothing`,
    );
    const [state] = await rows<{ rated_through: string; folded_xid: string }>(
      tx,
      sql`select rated_through::text, folded_xid::text from usage_rating where id = ${STATE_ID} for update`,
    );
    const since = sql`${state!.rated_through}::timestamptz`;
    const [mark] = await rows<{ max: string | null }>(
      tx,
      sql`select max(aggregated_at)::text as max from usage_records where aggregated_at > ${since} and ${doneRecord(sql`period_start`)}`,
    );
    await tx.execute(
      sql`create temp table if not exists rating_window (account_id uuid, resource_id uuid, lo timestamptz) on commit delete rows`,
    );
    await tx.execute(sql`delete from rating_window`);
    await tx.execute(sql`
      insert into rating_window
      select account_id, resource_id, min(lo) from (
        select account_id, resource_id, min(period_start) as lo from usage_records
        where aggregated_at > ${since} and ${doneRecord(sql`period_start`)} group by 1, 2
        union all
        select e.account_id, e.resource_id, coalesce((
            -- A charge left without its record, since the fact's UTC day (the aggregation may
            -- have made the day again, its records once cut in another period length).
            select min(c.period_start) from charges c
            where c.account_id = e.account_id and c.resource_id = e.resource_id and c.period_start >= e.day and c.period_start < e.lo
              and not exists (select from usage_records r where r.account_id = c.account_id and r.usage_type = c.usage_type
                and r.resource_id = c.resource_id and r.period_start = c.period_start and r.dimensions_key = c.dimensions_key)
          ), e.lo)
        from (
          -- In the period length the aggregation just used.
          select account_id, resource_id, ${periodFloorSql(sql`min(occurred_at)`, Number(agg.period_minutes ?? 60))} as lo,
            ${periodFloorSql(sql`min(occurred_at)`, DAY_MINUTES)} as day
          from usage_events
          where xact_id >= ${state!.folded_xid}::bigint and xact_id < ${agg.folded_xid}::bigint group by 1, 2
        ) e
      ) x group by 1, 2`);
    const [{ n: resources } = { n: 0 }] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from rating_window`);
    let charges = 0;
    if (resources > 0) {
      await tx.execute(sql`
        delete from charges c using rating_window w
        where c.account_id = w.account_id and c.resource_id = w.resource_id and c.period_start >= w.lo`);
      charges = await insertCharges(
        tx,
        sql`join rating_window w on w.account_id = r.account_id and w.resource_id = r.resource_id and r.period_start >= w.lo`,
      );
    }
    await tx.execute(sql`
      update usage_rating set rated_through = coalesce(${mark?.max ?? null}::timestamptz, rated_through), folded_xid = ${agg.folded_xid}::bigint,
        last_run_at = now(), last_charges = ${charges} where id = ${STATE_ID}`);
    await tx.execute(sql`delete from rating_window`);
    return { charges, resources };
  });
}

/**
 * Re-rates every record whose period starts in [from, until) (optionally of one account): its
 * charges are replaced as a whole, so running it twice changes nothing. For back-fills and checks;
 * prices in force at each record's period start apply, as always.
 */
export async function rerateRange(db: Db, range: { from: Date; until: Date; accountId?: string }): Promise<number> {
  return db.transaction(async (tx) => {
    const acct = range.accountId ? sql`and account_id = ${range.accountId}::uuid` : sql``;
    await tx.execute(
      sql`delete from charges where period_start >= ${iso(range.from)}::timestamptz and period_start < ${iso(range.until)}::timestamptz ${acct}`,
    );
    const acctR = range.accountId ? sql`and r.account_id = ${range.accountId}::uuid` : sql``;
    return insertCharges(
      tx,
      sql`where r.period_start >= ${iso(range.from)}::timestamptz and r.period_start < ${iso(range.until)}::timestamptz ${acctR}`,
    );
  });
}
