import { sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import type { Target } from "./aggregate";
import type { UsageTypeDefinition } from "./types";

/**
 * A back-fill's types computed side by side (PostgreSQL only). The chunk's transaction exports its
 * snapshot; each helper connection imports it (so it reads exactly the facts the chunk would) and
 * computes one type at a time in its own transaction.
 *
 * Where every record of the chunk lies past the watermark (`recordsRange`), a helper replaces its
 * type's records of that range in usage_records itself and commits them: readers see none of them
 * until the chunk moves the watermark (server/usage/visible.ts), and a run that dies leaves only
 * rows that the next run over the range replaces. So the records are written on all the helpers at
 * once, with no copy. Otherwise (late facts or a new period length rewrite records readers see)
 * the records go to unlogged staging too and the chunk's transaction copies them in key order.
 *
 * The open intervals always go through staging, tagged with the chunk's transaction id: the chunk
 * took the old ones out in its own (uncommitted) transaction and copies the new ones in, so they
 * move with the watermark. Staging left by a run that died is never copied (another transaction
 * id) and goes with the next chunk's truncate.
 */
const recordColumns = `account_id, domain_id, domain_path, usage_type, type_name, resource_id, resource_name, zone_id,
  offering_id, template_id, dimensions, dimensions_key, period_start, period_end, seconds, size, unit, quantity`;

/**
 * How many helpers a run may use: `wanted`, fewer if the connection pool is small (the chunk's
 * transaction holds one connection), none on PGlite (one connection). Creates the staging tables
 * (unlogged: never WAL-logged, emptied by a crash of the server, which is all staging needs).
 */
export async function prepareHelpers(db: Db, wanted: number): Promise<number> {
  const client = (db as unknown as { $client?: { options?: { max?: unknown }; reserve?: unknown } }).$client;
  const max = typeof client?.reserve === "function" && typeof client.options?.max === "number" ? client.options.max : 1;
  const helpers = Math.min(wanted, max - 1);
  if (helpers < 2) return 1;
  // Made from usage_records' columns when first needed: remade when those columns have changed since.
  const [cols] = rowsOf<{ stale: boolean }>(
    await db.execute(sql`
      select (select count(*) from information_schema.columns where table_name = 'usage_records_stage')
        not in (0, (select count(*) + 1 from information_schema.columns where table_name = 'usage_records')) as stale`),
  );
  if (cols?.stale) await db.execute(sql`drop table if exists usage_records_stage`);
  try {
    await db.execute(
      sql.raw(`create unlogged table if not exists usage_records_stage (run_id bigint not null, like usage_records including defaults)`),
    );
    await db.execute(sql.raw(`create unlogged table if not exists usage_open_stage (run_id bigint not null, like usage_open_intervals)`));
  } catch (e) {
    // Two processes creating them at the same moment: one wins, the other finds them made.
    if (!(await stagingExists(db))) throw e;
  }
  return helpers;
}

const stagingExists = async (db: Db) => {
  const [r] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from pg_class where relname in ('usage_records_stage', 'usage_open_stage')`),
  );
  return r?.n === 2;
};

/** Computes `types` on `helpers` connections into staging, then copies the rows in `tx`; the records' count. */
export async function computeInParallel(
  db: Db,
  tx: DbOrTx,
  types: readonly UsageTypeDefinition[],
  helpers: number,
  session: {
    prepare: (h: DbOrTx) => Promise<void>;
    statement: (t: UsageTypeDefinition, to: Target) => SQL;
    /** The chunk's periods, when the helpers write the records themselves (all past the watermark). */
    recordsRange: { from: Date; until: Date } | null;
  },
): Promise<number> {
  const [x] = rowsOf<{ snapshot: string; run: string }>(
    await tx.execute(sql`select pg_export_snapshot() as snapshot, pg_current_xact_id()::text as run`),
  );
  const range = session.recordsRange;
  const to: Target = {
    records: range ? { table: "usage_records", run: null } : { table: "usage_records_stage", run: x!.run },
    open: { table: "usage_open_stage", run: x!.run },
  };
  let written = 0;
  const queue = [...types];
  const helper = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const type = t;
      await db.transaction(
        async (h) => {
          await h.execute(sql.raw(`set transaction snapshot '${x!.snapshot.replace(/'/g, "''")}'`));
          await session.prepare(h);
          // What a run that died left of this type in the range (invisible, past the watermark).
          if (range)
            await h.execute(sql`
              delete from usage_records where usage_type = ${type.usageType}
                and period_start >= ${range.from.toISOString()}::timestamptz and period_start < ${range.until.toISOString()}::timestamptz`);
          const [r] = rowsOf<{ n: number }>(await h.execute(session.statement(type, to)));
          written += r?.n ?? 0;
        },
        { isolationLevel: "repeatable read" },
      );
    }
  };
  // Every helper ends before the chunk goes on (or fails): none writes after the copy.
  const done = await Promise.allSettled(Array.from({ length: Math.min(helpers, types.length) }, helper));
  const failed = done.find((d): d is PromiseRejectedResult => d.status === "rejected");
  if (failed) throw failed.reason;
  // Staged records: copied in key order (the helpers counted them).
  if (!range)
    await tx.execute(sql`
      insert into usage_records (${sql.raw(recordColumns)})
      select ${sql.raw(recordColumns)} from usage_records_stage where run_id = ${x!.run}::bigint
      order by account_id, period_start, usage_type, resource_id, dimensions_key`);
  await tx.execute(sql`
    insert into usage_open_intervals (usage_type, fact_id, resource_id)
    select usage_type, fact_id, resource_id from usage_open_stage where run_id = ${x!.run}::bigint`);
  await tx.execute(sql`truncate usage_records_stage, usage_open_stage`);
  return written;
}
