import { and, desc, eq, gte, ilike, inArray, like, lt, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { accounts, charges, usageRecords } from "@/db/schema";
import { type Caller, escapeLike } from "@/server/authz/caller";
import { usageScope } from "@/server/authz/scopes";
import { doneRecord } from "@/server/usage/visible";
import type { UsageFilters } from "@/lib/validation/usage";
import { getAccountInScope } from "./accounts";
import { getDomainInScope } from "./domains";
import { pageOf, type PageInput } from "./paging";

/** A record's charge (the rating's line with the same key), for left joins. */
const chargeOfRecord = and(
  eq(charges.accountId, usageRecords.accountId),
  eq(charges.usageType, usageRecords.usageType),
  eq(charges.resourceId, usageRecords.resourceId),
  eq(charges.periodStart, usageRecords.periodStart),
  eq(charges.dimensionsKey, usageRecords.dimensionsKey),
);

/** Sort keys of the record list and their columns. */
export const usageSort = {
  periodStart: usageRecords.periodStart,
  usageType: usageRecords.usageType,
  resourceName: usageRecords.resourceName,
  quantity: usageRecords.quantity,
};

/** The current calendar month (UTC): the default range, so a report is never empty for want of dates. */
export function currentMonth(now = new Date()): { from: Date; to: Date } {
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

/**
 * The caller's scope and the filters as one condition, and the range used. An account or domain
 * outside the scope is NOT_FOUND (as everywhere). Records whose period starts in [from, to).
 */
export async function usageCondition(db: DbOrTx, caller: Caller, f: UsageFilters) {
  const month = currentMonth();
  const range = { from: f.from ?? (f.to ? new Date(f.to.getTime() - 31 * 86_400_000) : month.from), to: f.to ?? month.to };
  const conds: (SQL | undefined)[] = [
    usageScope(caller),
    doneRecord(usageRecords.periodStart),
    gte(usageRecords.periodStart, range.from),
    lt(usageRecords.periodStart, range.to),
  ];
  if (f.accountId) conds.push(eq(usageRecords.accountId, (await getAccountInScope(db, caller, f.accountId)).id));
  if (f.domainId) conds.push(like(usageRecords.domainPath, `${escapeLike((await getDomainInScope(db, caller, f.domainId)).path)}%`));
  if (f.usageType !== undefined) conds.push(eq(usageRecords.usageType, f.usageType));
  if (f.resourceId) conds.push(eq(usageRecords.resourceId, f.resourceId));
  return { where: and(...conds)!, range };
}

async function accountNames(db: DbOrTx, ids: string[]) {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map<string, string>();
  const rows = await db.select({ id: accounts.id, name: accounts.name }).from(accounts).where(inArray(accounts.id, unique));
  return new Map(rows.map((a) => [a.id, a.name]));
}

/** One page of usage records in the caller's scope, each with its account's name. */
export async function listUsageRecords(db: DbOrTx, caller: Caller, input: PageInput & UsageFilters) {
  const { where: scoped, range } = await usageCondition(db, caller, input);
  const where = input.search ? and(scoped, ilike(usageRecords.resourceName, `%${escapeLike(input.search)}%`)) : scoped;
  const page = await pageOf(db, usageRecords, where, input, usageSort, desc(usageRecords.periodStart));
  const names = await accountNames(
    db,
    page.items.map((r) => r.accountId),
  );
  const amounts = await chargesOf(db, page.items);
  return {
    ...page,
    range,
    items: page.items.map((r) => {
      const c = amounts.get(recordKey(r));
      return { ...r, accountName: names.get(r.accountId) ?? null, amount: c?.amount ?? null, currency: c?.currency ?? null };
    }),
  };
}

type RecordKeyParts = { accountId: string; usageType: number; resourceId: string; periodStart: Date; dimensionsKey: string };
const recordKey = (r: RecordKeyParts) => `${r.accountId}|${r.usageType}|${r.resourceId}|${r.periodStart.toISOString()}|${r.dimensionsKey}`;

/** The charges of some records (one query), by record key. */
async function chargesOf(db: DbOrTx, recs: RecordKeyParts[]) {
  if (!recs.length) return new Map<string, { amount: string; currency: string }>();
  const keys = sql.join(
    recs.map(
      (r) =>
        sql`(${r.accountId}::uuid, ${r.usageType}::int, ${r.resourceId}::uuid, ${r.periodStart.toISOString()}::timestamptz, ${r.dimensionsKey}::uuid)`,
    ),
    sql`, `,
  );
  const rows = rowsOf<{
    account_id: string;
    usage_type: number;
    resource_id: string;
    period_start: string | Date;
    dimensions_key: string;
    amount: string;
    currency: string;
  }>(
    await db.execute(sql`select c.account_id, c.usage_type, c.resource_id, c.period_start, c.dimensions_key, c.amount::text as amount, c.currency
      from charges c where (c.account_id, c.usage_type, c.resource_id, c.period_start, c.dimensions_key) in (${keys})`),
  );
  return new Map(
    rows.map((c) => [
      recordKey({
        accountId: c.account_id,
        usageType: Number(c.usage_type),
        resourceId: c.resource_id,
        periodStart: new Date(c.period_start),
        dimensionsKey: c.dimensions_key,
      }),
      { amount: c.amount, currency: c.currency },
    ]),
  );
}

type Bucket = "hour" | "day" | "month";

/**
 * Totals by type, over time buckets (by type), and the top accounts and resources: for each type
 * its own ranking (units differ, so hours and GiB-hours are never added together). Sums of the
 * exact `seconds × size` and of `quantity`, as decimal strings.
 */
export async function usageSummary(db: DbOrTx, caller: Caller, input: UsageFilters & { bucket?: Bucket; top: number }) {
  const { where, range } = await usageCondition(db, caller, input);
  const bucket: Bucket = input.bucket ?? (range.to.getTime() - range.from.getTime() <= 2 * 86_400_000 ? "hour" : "day");
  const r = usageRecords;
  const byType = await db
    .select({
      usageType: r.usageType,
      typeName: r.typeName,
      unit: r.unit,
      quantity: sql<string>`sum(${r.quantity})::text`,
      seconds: sql<string>`sum(${r.seconds})::text`,
      /** Σ seconds × size: the exact raw usage (GiB-seconds for storage). */
      sizeSeconds: sql<string>`trim_scale(sum(${r.seconds} * ${r.size}))::text`,
      records: sql<number>`count(*)::int`,
      resources: sql<number>`count(distinct ${r.resourceId})::int`,
    })
    .from(r)
    .where(where)
    .groupBy(r.usageType, r.typeName, r.unit)
    .orderBy(r.usageType);
  const overTime = rowsOf<{ bucket: string; usage_type: number; quantity: string }>(
    await db.execute(sql`
      select to_char(date_trunc(${bucket}, ${r.periodStart} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as bucket,
        ${r.usageType} as usage_type, sum(${r.quantity})::text as quantity
      from ${r} where ${where} group by 1, 2 order by 1, 2`),
  ).map((x) => ({ bucket: x.bucket, usageType: Number(x.usage_type), quantity: x.quantity }));
  // What the records cost (their charges), per currency: in total, per type and over time for the chart.
  const amountByType = rowsOf<{ usage_type: number; currency: string; amount: string }>(
    await db.execute(sql`
      select ${r.usageType} as usage_type, ${charges.currency} as currency, trim_scale(sum(${charges.amount}))::text as amount
      from ${r} join ${charges} on ${chargeOfRecord} where ${where} group by 1, 2 order by 1, 2`),
  ).map((x) => ({ usageType: Number(x.usage_type), currency: x.currency, amount: x.amount }));
  const amountOverTime = rowsOf<{ bucket: string; currency: string; amount: string }>(
    await db.execute(sql`
      select to_char(date_trunc(${bucket}, ${r.periodStart} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as bucket,
        ${charges.currency} as currency, trim_scale(sum(${charges.amount}))::text as amount
      from ${r} join ${charges} on ${chargeOfRecord} where ${where} group by 1, 2 order by 1, 2`),
  );
  const amountTotals = rowsOf<{ currency: string; amount: string }>(
    await db.execute(sql`
      select ${charges.currency} as currency, trim_scale(sum(${charges.amount}))::text as amount
      from ${r} join ${charges} on ${chargeOfRecord} where ${where} group by 1 order by 1`),
  );
  const ranked = (key: SQL) =>
    sql`select ${r.usageType} as usage_type, ${key} as id, max(${r.resourceName}) as name, max(${r.accountId}::text) as account_id,
          sum(${r.quantity})::text as quantity,
          row_number() over (partition by ${r.usageType} order by sum(${r.quantity}) desc, ${key}) as rank
        from ${r} where ${where} group by ${r.usageType}, ${key}`;
  const top = async (key: SQL) =>
    rowsOf<{ usage_type: number; id: string; name: string | null; account_id: string; quantity: string }>(
      await db.execute(sql`select * from (${ranked(key)}) x where rank <= ${input.top} order by usage_type, rank`),
    );
  const [accountsTop, resourcesTop] = [await top(sql`${r.accountId}`), await top(sql`${r.resourceId}`)];
  const names = await accountNames(
    db,
    [...accountsTop, ...resourcesTop].map((x) => x.account_id),
  );
  return {
    range,
    bucket,
    byType,
    overTime,
    amountByType,
    amountOverTime,
    amountTotals,
    topAccounts: accountsTop.map((x) => ({
      usageType: Number(x.usage_type),
      accountId: x.id,
      accountName: names.get(x.id) ?? null,
      quantity: x.quantity,
    })),
    topResources: resourcesTop.map((x) => ({
      usageType: Number(x.usage_type),
      resourceId: x.id,
      resourceName: x.name,
      accountId: x.account_id,
      accountName: names.get(x.account_id) ?? null,
      quantity: x.quantity,
    })),
  };
}

/** Rows of the export, in the caller's scope, oldest first, `batch` at a time (the route streams them). */
export async function* usageExportRows(db: DbOrTx, caller: Caller, f: UsageFilters, batch = 5000) {
  const { where } = await usageCondition(db, caller, f);
  const r = usageRecords;
  for (let offset = 0; ; offset += batch) {
    const rows = (
      await db
        .select({ r, amount: charges.amount, currency: charges.currency })
        .from(r)
        .leftJoin(charges, chargeOfRecord)
        .where(where)
        .orderBy(r.periodStart, r.accountId, r.usageType, r.resourceId, r.dimensionsKey)
        .limit(batch)
        .offset(offset)
    ).map((x) => ({ ...x.r, amount: x.amount, currency: x.currency }));
    if (!rows.length) return;
    const names = await accountNames(
      db,
      rows.map((x) => x.accountId),
    );
    for (const x of rows)
      yield {
        account_id: x.accountId,
        account_name: names.get(x.accountId) ?? null,
        domain_id: x.domainId,
        domain_path: x.domainPath,
        usage_type: x.usageType,
        usage_type_name: x.typeName,
        resource_id: x.resourceId,
        resource_name: x.resourceName,
        zone_id: x.zoneId,
        offering_id: x.offeringId,
        template_id: x.templateId,
        dimensions: x.dimensions,
        period_start: x.periodStart.toISOString(),
        period_end: x.periodEnd.toISOString(),
        seconds: x.seconds,
        size: x.size,
        unit: x.unit,
        quantity: x.quantity,
        amount: x.amount,
        currency: x.currency,
      };
    if (rows.length < batch) return;
  }
}
