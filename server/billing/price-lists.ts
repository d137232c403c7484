import { and, asc, desc, eq, gt, gte, isNull, like, lte, or, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { computeOfferings, domains, priceListMargins, priceLists, tariffs } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound } from "@/server/core/errors";
import { getDomainInScope } from "@/server/services/domains";
import { visibleCondition } from "@/server/services/offerings/common";
import type { CostRevenueInput, CreatePriceListInput, QuoteInput, SetTariffInput } from "@/lib/validation/pricing";
import { usageTypeNames } from "@/lib/validation/usage";
import { floorPeriod, usagePeriodMinutes } from "@/server/usage/period";
import { doneRecord } from "@/server/usage/visible";
import { listAtSql, pricedSql } from "./price-sql";

const HOUR = 3_600_000;
/** Hours in a month for a monthly price (365 × 24 / 12, as the big clouds quote). */
export const HOURS_PER_MONTH = 730;
/**
 * "Now" for prices: the start of the current hour, or of the current usage period when periods
 * are shorter (the periods before it may be rated already; it and later ones are not).
 */
export const priceNow = (now = new Date()) => floorPeriod(now, Math.min(60, usagePeriodMinutes()));
const iso = (d: Date) => d.toISOString();
const rows = async <T>(db: DbOrTx, q: SQL): Promise<T[]> => rowsOf<T>(await db.execute(q));

export type PriceList = typeof priceLists.$inferSelect;
export type Tariff = typeof tariffs.$inferSelect;

/**
 * When a change takes effect: a whole hour, not before `priceNow` (records of earlier periods may
 * be rated already, and a price change never rewrites the past). None: `priceNow` (the current
 * hour, or the current usage period when periods are shorter than an hour).
 */
export function effectiveHour(requested: Date | undefined, now = new Date()): Date {
  const current = priceNow(now);
  if (!requested) return current;
  if (requested.getTime() % HOUR !== 0) throw badRequest("Prices change on the hour (minutes and seconds 0, UTC)", "effectiveFrom");
  if (requested < current)
    throw badRequest(
      current.getTime() % HOUR === 0
        ? "A price change cannot start in the past (the current hour at the earliest)"
        : "A price change cannot start in the past (the next whole hour at the earliest; leave it empty for now)",
      "effectiveFrom",
    );
  return requested;
}

const inForce = (from: AnyPgColumn, until: AnyPgColumn, at: Date) => and(lte(from, at), or(isNull(until), gt(until, at)));

/** Lists the caller may see: the root admin all, a reseller those of its subtree. Tenants none. */
function listScope(caller: Caller): SQL | undefined {
  if (isRootAdmin(caller)) return undefined;
  return like(domains.path, `${escapeLike(caller.domainPath)}%`);
}

/** A list in the caller's scope (removed ones included: their history stays readable), else NOT_FOUND. */
export async function getPriceListInScope(db: DbOrTx, caller: Caller, id: string) {
  const [row] = await db
    .select({ list: priceLists, domainPath: domains.path, domainName: domains.name })
    .from(priceLists)
    .innerJoin(domains, eq(domains.id, priceLists.domainId))
    .where(and(eq(priceLists.id, id), listScope(caller)));
  if (!row) throw notFound("Price list");
  return row;
}

/** The list in force now for a domain path (ancestor-or-self; `strict`: strictly above), with its domain. */
async function listAt(db: DbOrTx, path: string, at: Date, strict: boolean) {
  const [r] = await rows<{ id: string | null }>(
    db,
    sql`select ${listAtSql(sql`${path}::text`, sql`${iso(at)}::timestamptz`, strict)} as id`,
  );
  if (!r?.id) return null;
  const [row] = await db
    .select({ list: priceLists, domainPath: domains.path, domainName: domains.name })
    .from(priceLists)
    .innerJoin(domains, eq(domains.id, priceLists.domainId))
    .where(eq(priceLists.id, r.id));
  return row ?? null;
}

/** The margin in force at `at` of a margin list. */
async function marginAt(db: DbOrTx, listId: string, at: Date): Promise<string | null> {
  const [m] = await db
    .select({ p: priceListMargins.marginPercent })
    .from(priceListMargins)
    .where(and(eq(priceListMargins.priceListId, listId), inForce(priceListMargins.effectiveFrom, priceListMargins.effectiveUntil, at)))
    .orderBy(desc(priceListMargins.effectiveFrom))
    .limit(1);
  return m?.p ?? null;
}

/**
 * The lists the caller manages (root: all; reseller: its subtree's, removed ones with their end),
 * and the list above its own domain it buys at (`upstream`, read-only: its cost prices).
 */
export async function listPriceLists(db: DbOrTx, caller: Caller, now = new Date()) {
  const items = await db
    .select({ list: priceLists, domainPath: domains.path, domainName: domains.name })
    .from(priceLists)
    .innerJoin(domains, eq(domains.id, priceLists.domainId))
    .where(listScope(caller))
    .orderBy(asc(domains.level), asc(domains.name), desc(priceLists.effectiveFrom))
    .limit(1000);
  const at = priceNow(now);
  const withMargins = await Promise.all(
    items.map(async (r) => ({
      ...r.list,
      domainName: r.domainName,
      marginPercent: r.list.mode === "margin" ? await marginAt(db, r.list.id, at) : null,
      inForce: r.list.effectiveFrom <= now && (!r.list.effectiveUntil || r.list.effectiveUntil > now),
    })),
  );
  const up = isRootAdmin(caller) ? null : await listAt(db, caller.domainPath, at, true);
  return {
    items: withMargins,
    upstream: up ? { id: up.list.id, name: up.list.name, currency: up.list.currency, domainName: up.domainName, mode: up.list.mode } : null,
  };
}

/**
 * Makes a domain's price list. The root admin may make any domain's (ROOT's is the wholesale list
 * and has its own prices); a reseller a list for its domain or a sub-domain, only where the list
 * above that domain allows sub-lists. A margin list takes the currency of the list above it.
 */
export async function createPriceList(db: Db, caller: Caller, input: CreatePriceListInput, now = new Date()): Promise<PriceList> {
  const domain = await getDomainInScope(db, caller, input.domainId);
  const from = effectiveHour(input.effectiveFrom, now);
  const above = await listAt(db, domain.path, from, true);
  if (!isRootAdmin(caller) && above && !above.list.allowSubLists)
    throw forbidden(`The price list above (${above.list.name}) does not let sub-domains set their own prices`);
  if (domain.parentId === null && input.mode === "margin") throw badRequest("The wholesale (ROOT) list has its own prices", "mode");
  if (input.mode === "margin" && !above) throw badRequest("A margin needs a price list above this domain", "mode");
  const currency = input.mode === "margin" ? above!.list.currency : input.currency!;
  if (input.mode === "margin" && input.currency && input.currency !== currency)
    throw badRequest(`A margin list is in the currency of the list above it (${currency})`, "currency");
  try {
    return await db.transaction(async (tx) => {
      const [list] = await tx
        .insert(priceLists)
        .values({
          domainId: domain.id,
          name: input.name,
          currency,
          mode: input.mode,
          allowSubLists: input.allowSubLists,
          effectiveFrom: from,
        })
        .returning();
      if (input.mode === "margin")
        await tx.insert(priceListMargins).values({ priceListId: list!.id, marginPercent: input.marginPercent!, effectiveFrom: from });
      return list!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`${domain.name} already has a price list; change it or end it first`, "domainId");
    throw e;
  }
}

/** The caller may change this list: it is in scope, not ended, and (for a reseller) not its upstream's. */
async function managedList(db: DbOrTx, caller: Caller, id: string) {
  const row = await getPriceListInScope(db, caller, id);
  if (row.list.effectiveUntil) throw badRequest("This price list has ended; make a new one", "id");
  if (!isRootAdmin(caller)) {
    const above = await listAt(db, row.domainPath, priceNow(), true);
    if (above && !above.list.allowSubLists)
      throw forbidden(`The price list above (${above.list.name}) does not let sub-domains set their own prices`);
  }
  return row;
}

/** Name and the sub-list flag: not prices, so they change in place. */
export async function updatePriceList(db: Db, caller: Caller, input: { id: string; name?: string; allowSubLists?: boolean }) {
  const { list } = await managedList(db, caller, input.id);
  const [updated] = await db
    .update(priceLists)
    .set({ name: input.name ?? list.name, allowSubLists: input.allowSubLists ?? list.allowSubLists })
    .where(eq(priceLists.id, list.id))
    .returning();
  return updated!;
}

/** A new margin from a whole hour on: the margin in force then ends there, later ones (not yet in force) go. */
export async function setMargin(
  db: Db,
  caller: Caller,
  input: { id: string; marginPercent: string; effectiveFrom?: Date },
  now = new Date(),
) {
  const { list } = await managedList(db, caller, input.id);
  if (list.mode !== "margin") throw badRequest("This list has its own prices, not a margin", "marginPercent");
  const from = effectiveHour(input.effectiveFrom, now);
  return db.transaction(async (tx) => {
    await tx.delete(priceListMargins).where(and(eq(priceListMargins.priceListId, list.id), gte(priceListMargins.effectiveFrom, from)));
    await tx
      .update(priceListMargins)
      .set({ effectiveUntil: from })
      .where(
        and(
          eq(priceListMargins.priceListId, list.id),
          or(isNull(priceListMargins.effectiveUntil), gt(priceListMargins.effectiveUntil, from)),
        ),
      );
    const [m] = await tx
      .insert(priceListMargins)
      .values({ priceListId: list.id, marginPercent: input.marginPercent, effectiveFrom: from })
      .returning();
    return m!;
  });
}

/** Ends a list from a whole hour on (its accounts are then billed at the list above); its history stays. */
export async function removePriceList(db: Db, caller: Caller, input: { id: string; effectiveFrom?: Date }, now = new Date()) {
  const { list } = await managedList(db, caller, input.id);
  const until = effectiveHour(input.effectiveFrom, now);
  if (until <= list.effectiveFrom) {
    // Never in force: nothing was priced with it.
    await db.delete(priceLists).where(eq(priceLists.id, list.id));
    return { id: list.id, deleted: true };
  }
  await db.update(priceLists).set({ effectiveUntil: until }).where(eq(priceLists.id, list.id));
  return { id: list.id, deleted: false };
}

/** A list's tariffs, current and past (newest first), and its margins. */
export async function getPriceList(db: DbOrTx, caller: Caller, id: string) {
  const row = await getPriceListInScope(db, caller, id);
  const ts = await db
    .select({ tariff: tariffs, offeringName: computeOfferings.name })
    .from(tariffs)
    .leftJoin(computeOfferings, eq(computeOfferings.id, tariffs.offeringId))
    .where(eq(tariffs.priceListId, id))
    .orderBy(asc(tariffs.usageType), asc(tariffs.offeringId), asc(tariffs.basis), desc(tariffs.effectiveFrom));
  const margins = await db
    .select()
    .from(priceListMargins)
    .where(eq(priceListMargins.priceListId, id))
    .orderBy(desc(priceListMargins.effectiveFrom));
  return {
    ...row.list,
    domainName: row.domainName,
    margins,
    tariffs: ts.map((t) => ({
      ...t.tariff,
      offeringName: t.offeringName,
      typeName: usageTypeNames[t.tariff.usageType] ?? String(t.tariff.usageType),
    })),
  };
}

/**
 * Sets (or, with a null price, ends) the price of a usage type on an own-prices list from a whole
 * hour on: the tariff in force then is closed at that hour and a new one added; tariffs starting
 * at or after it (not yet in force, so nothing was priced with them) are replaced. A past price is
 * never updated.
 */
export async function setTariff(db: Db, caller: Caller, input: SetTariffInput, now = new Date()) {
  const { list } = await managedList(db, caller, input.priceListId);
  if (list.mode !== "own") throw badRequest("A margin list takes its prices from the list above; change its margin", "priceListId");
  if (input.offeringId) {
    const [o] = await db
      .select({ id: computeOfferings.id })
      .from(computeOfferings)
      .leftJoin(domains, eq(domains.id, computeOfferings.domainId))
      .where(and(eq(computeOfferings.id, input.offeringId), visibleCondition(caller, computeOfferings)));
    if (!o) throw notFound("Compute offering");
  }
  const from = effectiveHour(input.effectiveFrom, now);
  const same = and(
    eq(tariffs.priceListId, list.id),
    eq(tariffs.usageType, input.usageType),
    input.offeringId ? eq(tariffs.offeringId, input.offeringId) : isNull(tariffs.offeringId),
    eq(tariffs.basis, input.basis),
  );
  return db.transaction(async (tx) => {
    await tx.delete(tariffs).where(and(same, gte(tariffs.effectiveFrom, from)));
    await tx
      .update(tariffs)
      .set({ effectiveUntil: from })
      .where(and(same, or(isNull(tariffs.effectiveUntil), gt(tariffs.effectiveUntil, from))));
    if (input.unitPrice === null) return null;
    const [t] = await tx
      .insert(tariffs)
      .values({
        priceListId: list.id,
        usageType: input.usageType,
        offeringId: input.offeringId ?? null,
        basis: input.basis,
        unitPrice: input.unitPrice,
        effectiveFrom: from,
      })
      .returning();
    return t!;
  });
}

/**
 * The hourly and monthly price of a deploy (the offering's VM running and allocated, the root and
 * data disks, public IPs) at the caller's own list now: the rating's own SQL over one hour of
 * made-up records, so the wizard and the bill never disagree. Null when no list applies.
 */
export async function quote(db: DbOrTx, caller: Caller, given: QuoteInput, now = new Date()) {
  const input = { ...given, dataDiskGib: given.dataDiskGib ?? 0, publicIps: given.publicIps ?? 0, count: given.count ?? 1 };
  const [o] = await db
    .select({
      id: computeOfferings.id,
      cpuCores: computeOfferings.cpuCores,
      memoryMib: computeOfferings.memoryMib,
      name: computeOfferings.name,
    })
    .from(computeOfferings)
    .leftJoin(domains, eq(domains.id, computeOfferings.domainId))
    .where(and(eq(computeOfferings.id, input.offeringId), visibleCondition(caller, computeOfferings)));
  if (!o) throw notFound("Compute offering");
  const at = priceNow(now);
  const dims = JSON.stringify({ cpuCores: o.cpuCores, memoryMib: o.memoryMib });
  const lines: { key: string; label: string; usageType: number; size: number; offering: boolean }[] = [
    { key: "vm", label: `VM running (${o.name})`, usageType: 1, size: 1, offering: true },
    { key: "vm-allocated", label: "VM allocated", usageType: 2, size: 1, offering: true },
    { key: "root", label: `Root disk ${input.rootDiskGib} GiB`, usageType: 6, size: input.rootDiskGib, offering: false },
  ];
  if (input.dataDiskGib > 0)
    lines.push({ key: "data", label: `Data disk ${input.dataDiskGib} GiB`, usageType: 6, size: input.dataDiskGib, offering: false });
  if (input.publicIps > 0)
    lines.push({
      key: "ips",
      label: `${input.publicIps} public IP${input.publicIps > 1 ? "s" : ""}`,
      usageType: 3,
      size: input.publicIps,
      offering: false,
    });
  const values = sql.join(
    lines.map(
      (l, i) =>
        sql`(${l.key}::text, ${l.usageType}::int, ${`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`}::uuid, ${l.offering ? o.id : null}::uuid, ${String(l.size)}::numeric, ${dims}::jsonb)`,
    ),
    sql`, `,
  );
  // IPs are hours each: a record per address, so `size` multiplies the hour price here only.
  const priced = await rows<{ key: string; currency: string; amount: string; price_list_id: string }>(
    db,
    sql`with q(key, usage_type, resource_id, offering_id, size, dimensions) as (values ${values}),
      p as (${pricedSql(sql`
        select ${caller.accountId}::uuid as account_id, q.usage_type, q.resource_id, ${iso(at)}::timestamptz as period_start,
          q.resource_id as dimensions_key, q.offering_id, 3600::numeric as seconds,
          case when q.usage_type = 3 then 1 else q.size end as size, q.dimensions, ${caller.domainPath}::text as price_path
        from q`)})
      select q.key, p.currency, (p.amount * case when q.usage_type = 3 then q.size else 1 end)::text as amount, p.price_list_id
      from q join p on p.resource_id = q.resource_id`,
  );
  if (!priced.length) return null;
  const byKey = new Map(priced.map((p) => [p.key, p]));
  const [total] = await rows<{ hourly: string; monthly: string }>(
    db,
    sql`select trim_scale(sum(a) * ${input.count}::int)::text as hourly, trim_scale(sum(a) * ${input.count}::int * ${HOURS_PER_MONTH})::text as monthly
        from unnest(${`{${priced.map((p) => p.amount).join(",")}}`}::numeric[]) a`,
  );
  return {
    currency: priced[0]!.currency,
    hourly: total!.hourly,
    monthly: total!.monthly,
    hoursPerMonth: HOURS_PER_MONTH,
    count: input.count,
    lines: lines.map((l) => ({ key: l.key, label: l.label, hourly: byKey.get(l.key)?.amount ?? "0" })),
  };
}

/**
 * A reseller's cost and revenue for its subtree's usage in [from, to), per day: revenue is that
 * usage priced at the domain's own list (what its customers, or its sub-resellers, pay it), cost
 * the same usage priced at the list above its domain (what it owes upstream). A domain without a
 * list of its own passes prices through (cost = revenue). Per currency, as lists may differ.
 */
export async function costRevenue(db: DbOrTx, caller: Caller, input: CostRevenueInput, now = new Date()) {
  const domain = await getDomainInScope(db, caller, input.domainId ?? caller.domainId);
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = input.from ?? monthStart;
  const to = input.to ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  if (from >= to) throw badRequest("From must be before To", "from");
  const recs = sql`
    select r.account_id, r.usage_type, r.resource_id, r.period_start, r.dimensions_key, r.offering_id, r.seconds, r.size, r.dimensions,
      ${domain.path}::text as price_path
    from usage_records r
    where left(r.domain_path, length(${domain.path}::text)) = ${domain.path}::text and ${doneRecord(sql`r.period_start`)}
      and r.period_start >= ${iso(from)}::timestamptz and r.period_start < ${iso(to)}::timestamptz`;
  const perDay = (strict: boolean) => sql`
    select to_char(date_trunc('day', p.period_start at time zone 'UTC'), 'YYYY-MM-DD') as day, p.currency, sum(p.amount) as amount
    from (${pricedSql(recs, { strict })}) p group by 1, 2`;
  const days = await rows<{ day: string; currency: string; revenue: string | null; cost: string | null }>(
    db,
    sql`select coalesce(rv.day, c.day) as day, coalesce(rv.currency, c.currency) as currency,
        trim_scale(rv.amount)::text as revenue, trim_scale(c.amount)::text as cost
      from (${perDay(false)}) rv full join (${perDay(true)}) c on c.day = rv.day and c.currency = rv.currency
      order by 1, 2`,
  );
  const totals = new Map<string, { revenue: string; cost: string }>();
  const [sums] = await rows<{ t: { currency: string; revenue: string; cost: string }[] | null }>(
    db,
    sql`select json_agg(x) as t from (
      select currency, trim_scale(sum(coalesce(revenue, 0)))::text as revenue, trim_scale(sum(coalesce(cost, 0)))::text as cost
      from (values ${
        days.length
          ? sql.join(
              days.map((d) => sql`(${d.currency}, ${d.revenue}::numeric, ${d.cost}::numeric)`),
              sql`, `,
            )
          : sql`(null::text, null::numeric, null::numeric)`
      }) v(currency, revenue, cost)
      where currency is not null group by currency order by currency) x`,
  );
  for (const t of sums?.t ?? []) totals.set(t.currency, { revenue: t.revenue, cost: t.cost });
  return {
    domainId: domain.id,
    domainName: domain.name,
    range: { from, to },
    days: days.map((d) => ({ day: d.day, currency: d.currency, revenue: d.revenue ?? "0", cost: d.cost ?? "0" })),
    totals: [...totals.entries()].map(([currency, t]) => ({ currency, ...t })),
  };
}
