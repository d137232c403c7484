import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type DbHandle, openDb } from "../db";

/**
 * The database a benchmark runs on: PGlite in memory by default, or a fresh database on the
 * PostgreSQL server at DATABASE_URL, dropped afterwards (kept with BENCH_KEEP_DB=1, for EXPLAIN).
 */
export async function openBenchDb(
  opts: { onQuery?: (query: string) => void } = {},
): Promise<{ h: DbHandle; kind: "pglite" | "postgres"; url?: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { h: openDb({}), kind: "pglite", drop: async () => {} };
  const keep = process.env.BENCH_KEEP_DB === "1";
  const name = keep ? "stratus_bench_kept" : `stratus_bench_${randomBytes(4).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  if (keep) await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    h: openDb({ url: url.toString(), max: 24, onQuery: opts.onQuery }),
    kind: "postgres",
    url: url.toString(),
    drop: async () => {
      if (keep) return console.error(`[bench] kept database ${name} (BENCH_KEEP_DB=1)`);
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
