import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import * as schema from "./schema";
import { lockDataDir, releaseDataDirLock } from "./lock";
import { processSingleton, setProcessSingleton } from "@/lib/process-singleton";
import { env } from "@/server/env";

export { schema };
type Schema = typeof schema;
/** The database handle every service takes: PGlite and postgres.js share this type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Services accept either, so callers decide the transaction boundary. */
export type DbOrTx = Db | Tx;

export interface DbHandle {
  db: Db;
  kind: "pglite" | "postgres";
  /** LISTEN on a channel (NOTIFY is sent with pg_notify inside transactions), with each payload; returns unlisten. */
  // Function-typed properties, not methods: none uses `this`, so `close = h.close` is safe.
  listen: (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;
  migrate: () => Promise<void>;
  close: () => Promise<void>;
}

const migrationsFolder = path.join(/*turbopackIgnore: true*/ process.cwd(), "db", "migrations");

/** Opens a database: postgres.js when `url` is given, else PGlite in `dataDir` (in memory if omitted). */
export function openDb(opts: {
  url?: string;
  dataDir?: string;
  max?: number;
  onQuery?: (query: string) => void;
  /** PGlite only: start from this dump (`dumpDataDir`) instead of an empty cluster (tests' migrated template). */
  loadDataDir?: Blob;
}): DbHandle {
  if (opts.url) {
    const onQuery = opts.onQuery;
    const client = postgres(opts.url, {
      max: opts.max ?? 10,
      onnotice: () => {},
      // Benchmarks count the statements sent (postgres.js calls `debug` once per query).
      ...(onQuery ? { debug: (_conn: number, query: string) => onQuery(query) } : {}),
    });
    const db = drizzlePostgres({ client, schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      listen: async (channel, onNotify) => {
        const sub = await client.listen(channel, (payload) => onNotify(payload));
        return () => sub.unlisten();
      },
      migrate: async () => {
        await migratePostgres(drizzlePostgres({ client, schema }), { migrationsFolder });
        await addMissingCounters(db);
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  // Two processes on one PGlite directory corrupt it: refuse at once if another process holds it.
  const dataDir = opts.dataDir && !/^[a-z]+:\/\//.test(opts.dataDir) ? opts.dataDir : undefined;
  if (dataDir) lockDataDir(dataDir);
  const client = new PGlite({ dataDir: opts.dataDir, loadDataDir: opts.loadDataDir });
  const pdb = drizzlePglite({ client, schema });
  return {
    db: pdb,
    kind: "pglite",
    listen: async (channel, onNotify) => {
      const unsub = await client.listen(channel, (payload) => onNotify(payload));
      return () => unsub();
    },
    migrate: async () => {
      await migratePglite(pdb, { migrationsFolder });
      await addMissingCounters(pdb);
    },
    close: async () => {
      await client.close();
      if (dataDir) releaseDataDirLock(dataDir);
    },
  };
}

/**
 * Every account and domain has a limit counter for every resource type. A type added by a later
 * migration (secondary_storage_gib) cannot get its rows in that migration: drizzle runs migrations
 * in one transaction and PostgreSQL refuses a new enum value before the ALTER TYPE commits. So the
 * rows are added here, after the migrations, unlimited (NULL) and unused; idempotent.
 */
async function addMissingCounters(db: Db) {
  await db.execute(sql`
    insert into resource_counters (account_id, resource_type)
    select a.id, t from accounts a cross join unnest(enum_range(null::resource_type)) t
    on conflict (account_id, resource_type) where account_id is not null do nothing`);
  await db.execute(sql`
    insert into resource_counters (domain_id, resource_type)
    select d.id, t from domains d cross join unnest(enum_range(null::resource_type)) t
    on conflict (domain_id, resource_type) where domain_id is not null do nothing`);
}

const DB_KEY = "db";

/** Tests: makes `h` the process-wide database (server-rendered pages call getDb()). */
export const useAsProcessDb = (h: DbHandle) => setProcessSingleton(DB_KEY, h);

/**
 * The process-wide database. One per process because server.ts (run by tsx) and the Next.js
 * bundle each load this module: both must share one PGlite instance (one per data dir per process).
 */
export function dbHandle(): DbHandle {
  return processSingleton(DB_KEY, () => {
    const { DATABASE_URL: url, DATA_DIR: dataDir } = env();
    return openDb(url ? { url } : { dataDir: path.resolve(/*turbopackIgnore: true*/ dataDir) });
  });
}

export function getDb(): Db {
  return dbHandle().db;
}
