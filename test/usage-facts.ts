import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { type AggregateOptions, aggregateUsage } from "@/server/usage/aggregate";

/**
 * Synthetic usage facts for the crash test and bench:usage, written by one set-based INSERT (no
 * rows built in JavaScript). Resources take turns being a VM (create, start/stop ×4, destroy), a
 * volume (create, 8 resizes, delete) or five snapshots (create, delete), ten facts each, spread
 * over `hours` hours from `start` across `accounts` accounts.
 */
export async function insertSyntheticFacts(
  db: DbOrTx,
  opts: {
    events: number;
    accounts: number;
    start: Date;
    hours: number;
    domainId: string;
    offeringId: string;
    salt: string;
    offset?: number;
  },
) {
  const from = opts.offset ?? 0;
  const spreadMinutes = Math.max(1, opts.hours * 60 - 10 * 37);
  await db.execute(sql`
    insert into usage_events (type, account_id, domain_id, resource_id, resource_name, offering_id, details, idempotency_key, occurred_at)
    select
      case r % 3
        when 0 then case when k = 0 then 'VM.CREATE' when k = 9 then 'VM.DESTROY' when k % 2 = 1 then 'VM.START' else 'VM.STOP' end
        when 1 then case when k = 0 then 'VOLUME.CREATE' when k = 9 then 'VOLUME.DELETE' else 'VOLUME.RESIZE' end
        else case when k % 2 = 0 then 'SNAPSHOT.CREATE' else 'SNAPSHOT.DELETE' end
      end,
      md5(${opts.salt} || ':account:' || (r % ${opts.accounts}))::uuid,
      ${opts.domainId}::uuid,
      md5(${opts.salt} || ':resource:' || r || case when r % 3 = 2 then ':' || (k / 2) else '' end)::uuid,
      'res-' || r,
      case when r % 3 = 0 then ${opts.offeringId}::uuid end,
      case r % 3
        when 0 then null
        when 1 then jsonb_build_object('sizeGib', 10 + k, 'volumeType', 'datadisk')
        else jsonb_build_object('sizeBytes', 1073741824 + r % 1000 * 1048576)
      end,
      ${opts.salt} || ':' || i,
      ${opts.start.toISOString()}::timestamptz + ((r * 7919) % ${spreadMinutes}) * interval '1 minute' + k * interval '37 minutes'
    from generate_series(${from}::bigint, ${from + opts.events - 1}::bigint) as g(i), lateral (select i / 10 as r, i % 10 as k) x`);
}

/**
 * Waits until every fact's transaction lies below the snapshot's xmin, which is when an aggregation
 * folds a late fact (until then it leaves it to its next run, by design: aggregate.ts). On a shared
 * PostgreSQL server a long transaction in another database (another test file's) holds xmin back.
 */
export async function factsSettled(db: DbOrTx, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = rowsOf<{ settled: boolean }>(
      await db.execute(
        sql`select coalesce((select max(xact_id) from usage_events) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint, true) as settled`,
      ),
    );
    if (row?.settled) return;
    if (Date.now() > deadline) throw new Error(`usage facts still above the snapshot's xmin after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * An aggregation once the facts are settled: tests that count what a run folded (or that a re-run
 * writes nothing) would otherwise see a held-back xmin's facts folded one run later.
 */
export async function aggregateSettled(db: Db, opts: AggregateOptions) {
  await factsSettled(db);
  return aggregateUsage(db, opts);
}
