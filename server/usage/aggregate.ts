import { sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { type IntervalUsageType, type SumUsageType, type UsageTypeDefinition, usageTypes } from "./types";

/** Records are hourly. */
export const PERIOD_MS = 3_600_000;
const STATE_ID = "usage";
// Dates go to SQL as ISO text: postgres.js takes no Date in a raw query.
const iso = (d: Date) => d.toISOString();
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const list = (xs: readonly string[]) => sql.raw(xs.map(quote).join(", ") || "null");

/**
 * The records of one usage type for the periods being computed, as a SELECT (set-based): the
 * type's facts per resource in (occurred_at, seq) order; each opening or changing fact starts an
 * interval that lasts until the resource's next fact of the type; intervals clipped to the
 * resource's recompute window [lo, until) and cut at period boundaries; seconds summed per key.
 */
function typeRecords(t: IntervalUsageType, from: Date, until: Date): SQL {
  const all = [...t.opens, ...t.closes, ...(t.changes ?? [])];
  const dimsJson = dimensionsJson(t.dimensions);
  const measured = t.unit === "GiB-hours" ? `jsonb_build_object('sizeGib', ${t.size}) || ` : "";
  return sql`
    select s.account_id, s.domain_id, s.usage_type, s.resource_id, max(s.resource_name) as resource_name, max(s.zone_id::text)::uuid as zone_id,
      s.offering_id, s.template_id, s.dims, s.period_start, sum(s.seconds) as seconds, s.size,
      round(sum(s.seconds) * s.size / 3600, 9) as quantity
    from (
      select i.*, p.period_start,
        extract(epoch from least(i.hi, p.period_start + interval '1 hour') - greatest(i.lo, p.period_start)) as seconds
      from (
        select m.account_id, m.domain_id, ${sql.raw(String(t.usageType))} as usage_type, m.resource_id, m.resource_name, m.zone_id,
          m.offering_id, m.template_id, m.dims, m.size,
          greatest(m.occurred_at, m.lo) as lo, least(coalesce(m.next_at, 'infinity'::timestamptz), ${iso(until)}::timestamptz) as hi
        from (
          select g.*, first_value(g.type) over (partition by g.resource_id, g.grp order by g.occurred_at, g.seq) as opener,
            lead(g.occurred_at) over (partition by g.resource_id order by g.occurred_at, g.seq) as next_at
          from (
            select f.account_id, f.domain_id, f.resource_id, f.resource_name, f.zone_id, f.offering_id, f.template_id, f.type, f.seq,
              f.occurred_at, coalesce(w.lo, ${iso(from)}::timestamptz) as lo,
              ${sql.raw(measured)}${sql.raw(dimsJson)} as dims, ${sql.raw(t.size)} as size,
              count(*) filter (where f.type not in (${list(t.changes ?? [])}))
                over (partition by f.resource_id order by f.occurred_at, f.seq) as grp
            from usage_events f
            left join usage_window w on w.resource_id = f.resource_id
            left join compute_offerings co on co.id = f.offering_id
            where f.type in (${list(all)}) and f.occurred_at < ${iso(until)}::timestamptz
          ) g
        ) m
        where m.opener in (${list(t.opens)}) and m.type not in (${list(t.closes)})
      ) i
      cross join lateral generate_series(date_trunc('hour', i.lo), i.hi - interval '1 microsecond', interval '1 hour') as p(period_start)
      where i.lo < i.hi
    ) s
    group by s.account_id, s.domain_id, s.usage_type, s.resource_id, s.offering_id, s.template_id, s.dims, s.size, s.period_start`;
}

const dimensionsJson = (dims: Readonly<Record<string, string>> = {}) => {
  const entries = Object.entries(dims);
  return entries.length ? `jsonb_build_object(${entries.map(([k, e]) => `${quote(k)}, ${e}`).join(", ")})` : "'{}'::jsonb";
};

/** The records of a counter type: its facts' amounts summed per resource, dimensions and hour of occurrence. */
function sumRecords(t: SumUsageType, from: Date, until: Date): SQL {
  return sql`
    select f.account_id, f.domain_id, ${sql.raw(String(t.usageType))} as usage_type, f.resource_id, max(f.resource_name) as resource_name,
      max(f.zone_id::text)::uuid as zone_id, f.offering_id, f.template_id, ${sql.raw(dimensionsJson(t.dimensions))} as dims,
      date_trunc('hour', f.occurred_at) as period_start, 0::numeric as seconds, sum(${sql.raw(t.amount)}) as size, sum(${sql.raw(t.amount)}) as quantity
    from usage_events f
    left join usage_window w on w.resource_id = f.resource_id
    left join compute_offerings co on co.id = f.offering_id
    where f.type in (${list(t.facts)}) and f.occurred_at >= coalesce(w.lo, ${iso(from)}::timestamptz) and f.occurred_at < ${iso(until)}::timestamptz
    group by f.account_id, f.domain_id, f.resource_id, f.offering_id, f.template_id, 9, 10`;
}

const recordsOf = (t: UsageTypeDefinition, from: Date, until: Date) =>
  t.kind === "sum" ? sumRecords(t, from, until) : typeRecords(t, from, until);

export interface AggregateResult {
  /** Periods [from, until) computed for every resource; late facts recomputed earlier periods of theirs. */
  from: Date;
  until: Date;
  records: number;
  lateResources: number;
}

const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / PERIOD_MS) * PERIOD_MS);

/**
 * Folds facts into records for every complete period up to `now`, in one transaction per chunk of
 * at most `maxHours` periods, each with the watermark: a run that dies leaves records and
 * watermark as they were, and a run repeated changes nothing (each period's records are replaced
 * as a whole). A fact committed since the last run whose time falls in a period already done (a
 * reconciler that noticed a VM late) makes its resource's periods from that hour on recomputed.
 */
export async function aggregateUsage(
  db: Db,
  opts: { now?: Date; maxHours?: number; types?: readonly UsageTypeDefinition[] } = {},
): Promise<AggregateResult> {
  const until = floorHour(opts.now ?? new Date());
  const maxHours = opts.maxHours ?? 24 * 31;
  let total = 0;
  let late = 0;
  let first: Date | undefined;
  for (;;) {
    const step = await db.transaction(async (tx) => aggregateChunk(tx, until, maxHours, opts.types ?? usageTypes));
    first ??= step.from;
    total += step.records;
    late += step.lateResources;
    if (step.until.getTime() >= until.getTime()) break;
  }
  return { from: first, until, records: total, lateResources: late };
}

async function aggregateChunk(
  tx: DbOrTx,
  finalUntil: Date,
  maxHours: number,
  types: readonly UsageTypeDefinition[],
): Promise<AggregateResult> {
  // One run at a time: the watermark row is the lock (created on first use).
  await tx.execute(sql`
    insert into usage_aggregation (id, aggregated_until, folded_xid)
    select ${STATE_ID}, coalesce(date_trunc('hour', min(occurred_at)), ${iso(finalUntil)}::timestamptz), 0 from usage_events
    on conflict (id) do nothing`);
  const [state] = await rows<{ aggregated_until: Date | string; folded_xid: string; xmin: string }>(
    tx,
    sql`select aggregated_until, folded_xid::text, pg_snapshot_xmin(pg_current_snapshot())::text as xmin
        from usage_aggregation where id = ${STATE_ID} for update`,
  );
  const from = new Date(state!.aggregated_until);
  // Never before `from`: a clock behind the watermark recomputes nothing rather than drop periods.
  const until = new Date(Math.max(from.getTime(), Math.min(finalUntil.getTime(), from.getTime() + maxHours * PERIOD_MS)));
  // Per resource, where its periods are recomputed from: the hour of its earliest fact that is new
  // since the last run and falls before `from`; every other resource from `from`.
  await tx.execute(sql`create temp table if not exists usage_window (resource_id uuid, lo timestamptz) on commit delete rows`);
  await tx.execute(sql`
    insert into usage_window
    select resource_id, date_trunc('hour', min(occurred_at)) from usage_events
    where xact_id >= ${state!.folded_xid}::bigint and xact_id < ${state!.xmin}::bigint and occurred_at < ${iso(from)}::timestamptz
    group by resource_id`);
  const [{ n: lateResources } = { n: 0 }] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from usage_window`);
  await tx.execute(sql`
    delete from usage_records r using usage_window w
    where w.resource_id = r.resource_id and r.period_start >= w.lo and r.period_start < ${iso(from)}::timestamptz`);
  await tx.execute(
    sql`delete from usage_records where period_start >= ${iso(from)}::timestamptz and period_start < ${iso(until)}::timestamptz`,
  );
  let records = 0;
  if (until > from || lateResources > 0) {
    // The per-period grouping hashes many rows: in memory, not spilled to disk in 4 MB batches.
    await tx.execute(sql`set local work_mem = '256MB'`);
    const union = sql.join(
      types.map((t) => recordsOf(t, from, until)),
      sql` union all `,
    );
    const [inserted] = await rows<{ n: number }>(
      tx,
      sql`with computed as (${union}),
        ins as (
          insert into usage_records (account_id, domain_id, domain_path, usage_type, type_name, resource_id, resource_name, zone_id,
            offering_id, template_id, dimensions, dimensions_key, period_start, period_end, seconds, size, unit, quantity)
          select c.account_id, c.domain_id, coalesce(d.path, ''), c.usage_type, n.name, c.resource_id, c.resource_name, c.zone_id,
            c.offering_id, c.template_id, c.dims,
            md5(concat_ws('|', c.offering_id, c.template_id, c.dims::text))::uuid,
            c.period_start, c.period_start + interval '1 hour', trim_scale(c.seconds), trim_scale(c.size), n.unit, c.quantity
          from computed c
          join (values ${sql.join(
            types.map((t) => sql`(${sql.raw(String(t.usageType))}, ${t.name}, ${t.unit})`),
            sql`, `,
          )}) as n(usage_type, name, unit) on n.usage_type = c.usage_type
          left join domains d on d.id = c.domain_id
          where c.seconds > 0 or c.quantity > 0
          returning 1
        )
        select count(*)::int as n from ins`,
    );
    records = inserted?.n ?? 0;
  }
  await tx.execute(sql`
    update usage_aggregation set aggregated_until = ${iso(until)}::timestamptz, folded_xid = ${state!.xmin}::bigint,
      last_run_at = now(), last_records = ${records} where id = ${STATE_ID}`);
  await tx.execute(sql`delete from usage_window`);
  return { from, until, records, lateResources };
}

const rows = async <T>(tx: DbOrTx, q: SQL): Promise<T[]> => rowsOf<T>(await tx.execute(q));
