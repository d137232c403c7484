import { sql, type SQL } from "drizzle-orm";

/**
 * Price resolution, in one place (SQL). Everything that prices usage (the rating, the quote of the
 * deploy wizard, a reseller's cost and revenue) goes through `pricedSql`.
 *
 * 1. The list: for a domain path and an hour, the list of the nearest ancestor-or-self domain
 *    that has one in force at that hour (`strict`: the nearest strictly above the domain).
 * 2. Its base: a margin list takes the list above its own domain at the same hour, times
 *    (1 + margin %), until an own-prices list is reached (a recursive walk up the tree).
 * 3. The tariffs of the base list in force at that hour for the usage type: the compute
 *    offering's own tariffs when it has any, else the type's general ones (several bases add up:
 *    per vCPU-hour + per GiB-RAM-hour). amount = round(Σ unit price × units × factor, 9), exact
 *    numeric throughout (one rounding, at the end).
 */

/** The list in force at `at` for a domain path: a scalar subquery (null: no list). */
export function listAtSql(path: SQL, at: SQL, strict: boolean): SQL {
  return sql`(select pl.id from price_lists pl join domains ld on ld.id = pl.domain_id
    where left(${path}, length(ld.path)) = ld.path ${strict ? sql`and length(ld.path) < length(${path})` : sql``}
      and pl.effective_from <= ${at} and (pl.effective_until is null or pl.effective_until > ${at})
    order by length(ld.path) desc limit 1)`;
}

/** Units of a tariff basis as numerator / denominator over a record `r` (seconds, size, dimensions). */
const unitsSql = sql`case t.basis
    when 'hour' then r.seconds::numeric(60, 24) / 3600
    when 'gib_hour' then (r.seconds * r.size)::numeric(60, 24) / 3600
    when 'gib' then r.size::numeric(60, 30) / 1073741824
    when 'vcpu_hour' then (r.seconds * coalesce((r.dimensions->>'cpuCores')::numeric, 0))::numeric(60, 24) / 3600
    when 'gib_ram_hour' then (r.seconds * coalesce((r.dimensions->>'memoryMib')::numeric, 0))::numeric(60, 24) / 3686400
  end`;

/**
 * `recs` is a SELECT with, per row: the record key (account_id, usage_type, resource_id,
 * period_start, dimensions_key), offering_id, seconds, size, dimensions, and `price_path` (the
 * domain path whose list prices the row). Answers a SELECT of the key plus price_list_id,
 * currency, tariff_id and amount; rows whose path has no list in force are left out, rows with a
 * list but no tariff have amount 0 and tariff_id null.
 */
export function pricedSql(recs: SQL, opts: { strict?: boolean } = {}): SQL {
  const strict = opts.strict ?? false;
  return sql`
    with recursive recs as (${recs}),
    starts as (
      select p.price_path, p.period_start, ${listAtSql(sql`p.price_path`, sql`p.period_start`, strict)} as list_id
      from (select distinct price_path, period_start from recs) p
    ),
    chain as (
      select distinct s.list_id, s.period_start as at, s.list_id as cur_id, 1::numeric as factor, 0 as depth
      from starts s where s.list_id is not null
      union all
      select c.list_id, c.at, up.id, c.factor * (1 + m.margin_percent / 100), c.depth + 1
      from chain c
      join price_lists cl on cl.id = c.cur_id and cl.mode = 'margin'
      join domains cd on cd.id = cl.domain_id
      cross join lateral (
        select mm.margin_percent from price_list_margins mm
        where mm.price_list_id = cl.id and mm.effective_from <= c.at and (mm.effective_until is null or mm.effective_until > c.at)
        order by mm.effective_from desc limit 1
      ) m
      cross join lateral (select ${listAtSql(sql`cd.path`, sql`c.at`, true)} as id) up
      where up.id is not null and c.depth < 32
    ),
    base as (
      select c.list_id, c.at, c.cur_id as base_id, c.factor from chain c join price_lists b on b.id = c.cur_id and b.mode = 'own'
    )
    select r.account_id, r.usage_type, r.resource_id, r.period_start, r.dimensions_key,
      s.list_id as price_list_id, pl.currency, tf.tariff_id, coalesce(round(tf.raw * b.factor, 9), 0) as amount
    from recs r
    join starts s on s.price_path = r.price_path and s.period_start = r.period_start
    join price_lists pl on pl.id = s.list_id
    left join base b on b.list_id = s.list_id and b.at = r.period_start
    left join lateral (
      select (array_agg(x.id order by x.basis))[1] as tariff_id, sum(x.v) as raw
      from (
        select t.id, t.basis, t.unit_price * ${unitsSql} as v, rank() over (order by (t.offering_id is not null) desc) as rk
        from tariffs t
        where t.price_list_id = b.base_id and t.usage_type = r.usage_type
          and (t.offering_id is null or t.offering_id = r.offering_id)
          and t.effective_from <= r.period_start and (t.effective_until is null or t.effective_until > r.period_start)
      ) x where x.rk = 1
    ) tf on true`;
}
