import { sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { env } from "@/server/env";
import { computeInParallel, prepareHelpers } from "./parallel";
import { DAY_MINUTES, checkedPeriod, floorPeriod, type PeriodMinutes, periodFloorSql, periodInterval, usagePeriodMinutes } from "./period";
import { type IntervalUsageType, type SumUsageType, type UsageTypeDefinition, usageTypes } from "./types";

const STATE_ID = "usage";
// Dates go to SQL as ISO text: postgres.js takes no Date in a raw query.
const iso = (d: Date) => d.toISOString();
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const list = (xs: readonly string[]) => sql.raw(xs.map(quote).join(", ") || "null");

/**
 * Where a type's statement writes its records and its open intervals: a table itself (`run` null),
 * or the run's rows in an unlogged staging table (`run` = the chunk's transaction id; parallel.ts).
 */
export interface Target {
  records: { table: string; run: string | null };
  open: { table: string; run: string | null };
}
const direct: Target = { records: { table: "usage_records", run: null }, open: { table: "usage_open_intervals", run: null } };
const runColumn = (run: string | null) => sql.raw(run === null ? "" : "run_id, ");
const runValue = (run: string | null) => (run === null ? sql`` : sql`${run}::bigint, `);

/** Where a chunk reads facts from (see `aggregateChunk`). */
export interface Window {
  from: Date;
  until: Date;
  /** Facts of non-late resources are read from here on: `from` when the open intervals are carried, else -infinity. */
  lower: Date | "-infinity";
  /** The period length (minutes) records are cut into. */
  period: PeriodMinutes;
}

const recordColumns = sql.raw(`account_id, domain_id, domain_path, usage_type, type_name, resource_id, resource_name, zone_id,
  offering_id, template_id, dimensions, dimensions_key, period_start, period_end, seconds, size, unit, quantity`);

/**
 * Computed rows `c` as usage_records rows, in primary-key order (account, period, …: the key's
 * index is then written in order, not at random). `c.dims_key` is the dimensions key, computed
 * once per interval (or fact) before the rows are cut into periods.
 */
const insertRecords = (t: UsageTypeDefinition, w: Window, computed: SQL, to: Target) => sql`
  insert into ${sql.raw(to.records.table)} (${runColumn(to.records.run)}${recordColumns})
  select ${runValue(to.records.run)}c.account_id, c.domain_id, c.domain_path, ${sql.raw(String(t.usageType))}, ${t.name}, c.resource_id, c.resource_name, c.zone_id,
    c.offering_id, c.template_id, c.dims, c.dims_key,
    c.period_start, c.period_start + ${periodInterval(w.period)}, trim_scale(c.seconds), trim_scale(c.size), ${t.unit}, c.quantity
  from (${computed}) c
  where c.seconds > 0 or c.quantity > 0
  ${to.records.run === null ? sql`order by c.account_id, c.period_start, c.resource_id` : sql``}`;

const dimensionsKey = (offering: string, template: string, dims: string) =>
  `md5(concat_ws('|', ${offering}, ${template}, ${dims}::text))::uuid`;

const factColumns = sql.raw(
  "f.id, f.type, f.account_id, f.domain_id, f.zone_id, f.resource_id, f.resource_name, f.offering_id, f.template_id, f.details, f.seq, f.occurred_at",
);

/**
 * One interval type's records for the chunk, inserted, and its intervals still open at `until`
 * carried, as one set-based statement. The facts read: those of non-late resources since `lower`,
 * every fact of the late resources (usage_window), and the facts carried for intervals open at
 * `from` (usage_carry). Per resource in (occurred_at, seq) order, each opening or changing fact
 * starts an interval that lasts until the resource's next fact of the type; a running count of
 * non-change facts groups each change with the open or close before it, so `first_value` tells
 * whether the resource was open when a change came (an upgrade of a stopped VM starts nothing).
 * Intervals are clipped to the resource's recompute window [lo, until), cut at period
 * boundaries, and their seconds summed per key.
 */
export function intervalStatement(t: IntervalUsageType, w: Window, to: Target = direct): SQL {
  const all = [...t.opens, ...t.closes, ...(t.changes ?? [])];
  const dimsJson = dimensionsJson(t.dimensions);
  const measured = t.unit === "GiB-hours" ? `jsonb_build_object('sizeGib', ${t.size}) || ` : "";
  const type = sql.raw(String(t.usageType));
  const until = sql`${iso(w.until)}::timestamptz`;
  const from = sql`${iso(w.from)}::timestamptz`;
  const lower = sql`${w.lower === "-infinity" ? w.lower : iso(w.lower)}::timestamptz`;
  const period = periodInterval(w.period);
  // Without change facts every fact is its own group: it is its own opener (no second window).
  const changes = t.changes?.length ? t.changes : null;
  const records = sql`
    select s.account_id, s.domain_id, s.domain_path, s.resource_id, max(s.resource_name) as resource_name, max(s.zone_id::text)::uuid as zone_id,
      s.offering_id, s.template_id, s.dims, s.dims_key, s.period_start, sum(s.seconds) as seconds, s.size,
      round(sum(s.seconds) * s.size / 3600, 9) as quantity
    from (
      select i.*, p.period_start,
        extract(epoch from least(i.hi, p.period_start + ${period}) - greatest(i.lo, p.period_start)) as seconds
      from (
        select m.account_id, m.domain_id, coalesce(d.path, '') as domain_path, m.resource_id, m.resource_name, m.zone_id, m.offering_id, m.template_id, m.dims, m.size,
          ${sql.raw(dimensionsKey("m.offering_id", "m.template_id", "m.dims"))} as dims_key,
          greatest(m.occurred_at, m.lo) as lo, least(coalesce(m.next_at, 'infinity'::timestamptz), ${until}) as hi
        from m
        left join domains d on d.id = m.domain_id
        where m.opener in (${list(t.opens)}) and m.type not in (${list(t.closes)})
      ) i
      cross join lateral generate_series(${periodFloorSql(sql`i.lo`, w.period)}, i.hi - interval '1 microsecond', ${period}) as p(period_start)
      where i.lo < i.hi
    ) s
    group by s.account_id, s.period_start, s.resource_id, s.dims_key, s.domain_id, s.domain_path, s.offering_id, s.template_id, s.dims, s.size`;
  // One sort of the facts per resource, one window pass for the group count and the next fact;
  // a second (incremental) only for types with change facts, to find each group's opener.
  return sql`
    with m as materialized (
      select g.*, ${changes ? sql`first_value(g.type) over o as opener, first_value(g.id) over o as opener_id` : sql`g.type as opener, g.id as opener_id`}
      from (
        select f.id, f.account_id, f.domain_id, f.resource_id, f.resource_name, f.zone_id, f.offering_id, f.template_id, f.type, f.seq,
          f.occurred_at, f.lo, case when f.type not in (${list(t.closes)}) then ${sql.raw(measured)}${sql.raw(dimsJson)} end as dims,
          ${sql.raw(t.size)} as size,
          ${changes ? sql`count(*) filter (where f.type not in (${list(changes)})) over r as grp,` : sql``}
          lead(f.occurred_at) over r as next_at
        from (
          select ${factColumns}, ${from} as lo from usage_events f
          where f.type in (${list(all)}) and f.occurred_at >= ${lower} and f.occurred_at < ${until}
            and not exists (select from usage_window w where w.resource_id = f.resource_id)
          union all
          select ${factColumns}, w.lo from usage_window w join usage_events f on f.resource_id = w.resource_id
          where f.type in (${list(all)}) and f.occurred_at < ${until}
          union all
          select ${factColumns}, ${from} from usage_carry k join usage_events f on f.id = k.fact_id
          where k.usage_type = ${type} and not exists (select from usage_window w where w.resource_id = f.resource_id)
        ) f
        left join compute_offerings co on co.id = f.offering_id
        ${t.where ? sql`where ${sql.raw(t.where)}` : sql``}
        window r as (partition by f.resource_id order by f.occurred_at, f.seq)
      ) g
      ${changes ? sql`window o as (partition by g.resource_id, g.grp order by g.occurred_at, g.seq)` : sql``}
    ),
    carried as (
      insert into ${sql.raw(to.open.table)} (${runColumn(to.open.run)}usage_type, fact_id, resource_id)
      select distinct ${runValue(to.open.run)}${type}, x.fact_id, m.resource_id from m, unnest(array[m.opener_id, m.id]) as x(fact_id)
      where m.next_at is null and m.opener in (${list(t.opens)}) and m.type not in (${list(t.closes)})
      returning 1
    ),
    ins as (${insertRecords(t, w, records, to)} returning 1)
    select (select count(*) from ins)::int as n, (select count(*) from carried)::int as carried`;
}

const dimensionsJson = (dims: Readonly<Record<string, string>> = {}) => {
  const entries = Object.entries(dims);
  return entries.length ? `jsonb_build_object(${entries.map(([k, e]) => `${quote(k)}, ${e}`).join(", ")})` : "'{}'::jsonb";
};

/** A counter type's records, inserted: its facts' amounts summed per resource, dimensions and period of occurrence. */
export function sumStatement(t: SumUsageType, w: Window, to: Target = direct): SQL {
  const records = sql`
    select f.account_id, f.domain_id, coalesce(d.path, '') as domain_path, f.resource_id, max(f.resource_name) as resource_name,
      max(f.zone_id::text)::uuid as zone_id, f.offering_id, f.template_id, ${sql.raw(dimensionsJson(t.dimensions))} as dims,
      ${sql.raw(dimensionsKey("f.offering_id", "f.template_id", dimensionsJson(t.dimensions)))} as dims_key,
      ${periodFloorSql(sql`f.occurred_at`, w.period)} as period_start, 0::numeric as seconds, sum(${sql.raw(t.amount)}) as size, sum(${sql.raw(t.amount)}) as quantity
    from usage_events f
    left join usage_window w on w.resource_id = f.resource_id
    left join compute_offerings co on co.id = f.offering_id
    left join domains d on d.id = f.domain_id
    where f.type in (${list(t.facts)}) and f.occurred_at < ${iso(w.until)}::timestamptz
      and f.occurred_at >= coalesce(w.lo, ${iso(w.from)}::timestamptz)
      and f.occurred_at >= least(${iso(w.from)}::timestamptz, (select min(lo) from usage_window))
    group by f.account_id, 11, f.resource_id, f.domain_id, 3, f.offering_id, f.template_id, 9, 10`;
  return sql`with ins as (${insertRecords(t, w, records, to)} returning 1) select count(*)::int as n, 0 as carried from ins`;
}

export const statementOf = (t: UsageTypeDefinition, w: Window, to: Target = direct) =>
  t.kind === "sum" ? sumStatement(t, w, to) : intervalStatement(t, w, to);

export interface AggregateResult {
  /** Periods [from, until) computed for every resource; late facts recomputed earlier periods of theirs. */
  from: Date;
  until: Date;
  records: number;
  lateResources: number;
}

export interface AggregateOptions {
  /** Aggregate the periods complete at this time (default: the clock's). */
  now?: Date;
  /** Periods per transaction (default 744: a month of hours). */
  maxPeriods?: number;
  /** The period length in minutes (default: STRATUS_USAGE_PERIOD_MINUTES). */
  periodMinutes?: number;
  types?: readonly UsageTypeDefinition[];
  /** Connections computing a back-fill's types side by side (parallel.ts; default STRATUS_USAGE_PARALLEL); 1: all in the chunk's transaction. */
  parallel?: number;
}

/**
 * Folds facts into records for every complete period up to `now`, in one transaction per chunk of
 * at most `maxPeriods` periods, each with the watermark: a run that dies leaves records and
 * watermark as they were, and a run repeated changes nothing (each period's records are replaced
 * as a whole). A fact committed since the last run whose time falls in a period already done (a
 * reconciler that noticed a VM late) makes its resource's periods from that period on recomputed.
 *
 * The period length is kept with the watermark. When it differs from the last run's (the setting
 * changed), the records (and their charges) from the start of the watermark's UTC day on are made
 * again from the facts in the new length, not carried: every period divides a day, so no record
 * before that instant reaches past it.
 */
export async function aggregateUsage(db: Db, opts: AggregateOptions = {}): Promise<AggregateResult> {
  const period = checkedPeriod(opts.periodMinutes ?? usagePeriodMinutes());
  const until = floorPeriod(opts.now ?? new Date(), period);
  const maxPeriods = opts.maxPeriods ?? 24 * 31;
  const helpers = await prepareHelpers(db, opts.parallel ?? env().STRATUS_USAGE_PARALLEL);
  let total = 0;
  let late = 0;
  let first: Date | undefined;
  for (;;) {
    const step = await db.transaction(async (tx) => aggregateChunk(db, tx, until, maxPeriods, period, opts.types ?? usageTypes, helpers));
    first ??= step.from;
    total += step.records;
    late += step.lateResources;
    if (step.until.getTime() >= until.getTime()) break;
  }
  return { from: first, until, records: total, lateResources: late };
}

async function aggregateChunk(
  db: Db,
  tx: DbOrTx,
  finalUntil: Date,
  maxPeriods: number,
  period: PeriodMinutes,
  types: readonly UsageTypeDefinition[],
  helpers: number,
): Promise<AggregateResult> {
  // One run at a time: the watermark row is the lock (created on first use).
  await tx.execute(sql`
    insert into usage_aggregation (id, aggregated_until, folded_xid, period_minutes)
    select ${STATE_ID}, coalesce(${periodFloorSql(sql`min(occurred_at)`, period)}, ${iso(finalUntil)}::timestamptz), 0, ${period} from usage_events
    on conflict (id) do nothing`);
  const [state] = await rows<{
    aggregated_until: Date | string;
    open_intervals_until: Date | string | null;
    folded_xid: string;
    period_minutes: number | null;
    xmin: string;
  }>(
    tx,
    sql`select aggregated_until, open_intervals_until, folded_xid::text, period_minutes, pg_snapshot_xmin(pg_current_snapshot())::text as xmin
        from usage_aggregation where id = ${STATE_ID} for update`,
  );
  // A watermark without a period length was made when periods were always an hour.
  const periodChanged = Number(state!.period_minutes ?? 60) !== period;
  const watermark = new Date(state!.aggregated_until);
  // A new length: everything from the watermark's UTC day on is made again (see aggregateUsage).
  const from = periodChanged ? floorPeriod(watermark, DAY_MINUTES) : watermark;
  if (periodChanged) {
    await tx.execute(sql`delete from usage_records where period_start >= ${iso(from)}::timestamptz`);
    await tx.execute(sql`delete from charges where period_start >= ${iso(from)}::timestamptz`);
  }
  // Never before `from`: a clock behind the watermark recomputes nothing rather than drop periods.
  const until = new Date(Math.max(from.getTime(), Math.min(finalUntil.getTime(), from.getTime() + maxPeriods * period * 60_000)));
  // The intervals open at `from`, if they were carried to it (else every fact is read).
  const carriedTo = state!.open_intervals_until ? new Date(state!.open_intervals_until) : null;
  // Carried intervals were cut for the last run's length: not read when it changed.
  const carried = !periodChanged && carriedTo !== null && carriedTo.getTime() === from.getTime();
  const chunk: ChunkState = { from, period, foldedXid: state!.folded_xid, xmin: state!.xmin, carried };
  await prepareSession(tx, chunk, true);
  const [{ n: lateResources } = { n: 0 }] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from usage_window`);
  await tx.execute(sql`
    delete from usage_records r using usage_window w
    where w.resource_id = r.resource_id and r.period_start >= w.lo and r.period_start < ${iso(from)}::timestamptz`);
  // The intervals are carried only for the full list of types (a run restricted to some makes the next read everything).
  const complete = usageTypes.every((t) => types.includes(t));
  const parallel = helpers > 1 && until.getTime() - from.getTime() > period * 60_000;
  // Helpers may commit records themselves when every record the chunk writes lies past the
  // watermark (invisible until it moves: visible.ts); they then remove that range's leftovers
  // themselves, which the chunk must not hold deleted meanwhile.
  const helpersWriteRecords = parallel && complete && !periodChanged && lateResources === 0;
  if (!helpersWriteRecords)
    await tx.execute(
      sql`delete from usage_records where period_start >= ${iso(from)}::timestamptz and period_start < ${iso(until)}::timestamptz`,
    );
  await settings(tx);
  const window: Window = { from, until, lower: carried ? from : "-infinity", period };
  let records = 0;
  if (parallel) {
    // A back-fill: the types computed side by side on other connections (parallel.ts).
    records = await computeInParallel(db, tx, types, helpers, {
      prepare: (h) => prepareSession(h, chunk, false),
      statement: (t, to) => statementOf(t, window, to),
      recordsRange: helpersWriteRecords ? { from, until } : null,
    });
  } else {
    // One statement per type: each writes its records in primary-key order.
    for (const t of types) {
      const [r] = await rows<{ n: number }>(tx, statementOf(t, window));
      records += r?.n ?? 0;
    }
  }
  await tx.execute(sql`
    update usage_aggregation set aggregated_until = ${iso(until)}::timestamptz, folded_xid = ${state!.xmin}::bigint,
      open_intervals_until = ${complete ? sql`${iso(until)}::timestamptz` : sql`null`}, period_minutes = ${period},
      last_run_at = now(), last_records = ${records} where id = ${STATE_ID}`);
  await tx.execute(sql`delete from usage_window`);
  await tx.execute(sql`delete from usage_carry`);
  return { from, until, records, lateResources };
}

// The per-period grouping: sorted (its output is then in key order, and the insert needs no
// sort of its own), in memory rather than spilled to disk in 4 MB batches.
const settings = async (tx: DbOrTx) => {
  await tx.execute(sql`set local work_mem = '256MB'`);
  await tx.execute(sql`set local enable_hashagg = off`);
};

/** What a session computing a chunk's records needs to know (the chunk's transaction's, or a helper's: parallel.ts). */
interface ChunkState {
  from: Date;
  period: PeriodMinutes;
  foldedXid: string;
  xmin: string;
  /** Whether the intervals open at `from` were carried (usage_open_intervals), else every fact is read. */
  carried: boolean;
}

/**
 * Fills the session's `usage_window` and `usage_carry`, which the statements read. Per resource,
 * where its periods are recomputed from: the period of its earliest fact that is new since the
 * last run and falls before `from`; every other resource from `from`. (A fact of a transaction at
 * or above xmin is folded by the next run, which sees it below its own xmin.) Should a record of
 * the resource made in another period length reach past that instant, from the start of the
 * fact's UTC day instead (no record crosses midnight). The intervals carried
 * to `from` move aside to be read: the chunk's transaction (`take`) moves them out of
 * usage_open_intervals (each type's statement carries its intervals open at `until`); a helper,
 * whose snapshot does not see that, reads them where they are.
 */
async function prepareSession(tx: DbOrTx, c: ChunkState, take: boolean) {
  await tx.execute(sql`create temp table if not exists usage_window (resource_id uuid primary key, lo timestamptz) on commit delete rows`);
  await tx.execute(sql`
    insert into usage_window
    select e.resource_id, case when exists (
        select from usage_records r where r.resource_id = e.resource_id and r.period_start >= e.day
          and r.period_start < e.lo and r.period_end > e.lo) then e.day else e.lo end
    from (
      select resource_id, ${periodFloorSql(sql`min(occurred_at)`, c.period)} as lo,
        ${periodFloorSql(sql`min(occurred_at)`, DAY_MINUTES)} as day
      from usage_events
      where xact_id >= ${c.foldedXid}::bigint and xact_id < ${c.xmin}::bigint and occurred_at < ${iso(c.from)}::timestamptz
      group by resource_id
    ) e`);
  await tx.execute(sql`analyze usage_window`);
  await tx.execute(sql`create temp table if not exists usage_carry (usage_type int, fact_id uuid, resource_id uuid) on commit delete rows`);
  const keep = c.carried ? sql`` : sql`where false`;
  await tx.execute(
    take
      ? sql`with gone as (delete from usage_open_intervals returning usage_type, fact_id, resource_id) insert into usage_carry select * from gone ${keep}`
      : sql`insert into usage_carry select usage_type, fact_id, resource_id from usage_open_intervals ${keep}`,
  );
  if (!take) await settings(tx);
}

const rows = async <T>(tx: DbOrTx, q: SQL): Promise<T[]> => rowsOf<T>(await tx.execute(q));
