import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { type DbHandle, openDb } from "@/db";

/**
 * A fresh, migrated database for one test file: PGlite in memory by default, or a new database on
 * the PostgreSQL server at TEST_DATABASE_URL when TEST_DB=postgres (dropped again on close).
 *
 * Running thirty migrations for every test file cost more than many files' tests, so both kinds
 * start from a migrated template made once per set of migrations (test/global-setup.ts makes it
 * before the workers start; a file run without it makes it itself): a PGlite dump on disk, and a
 * PostgreSQL template database copied with CREATE DATABASE … TEMPLATE.
 */
export async function openTestDb(): Promise<DbHandle & { url?: string }> {
  if (process.env.TEST_DB === "postgres") {
    const base = postgresBaseUrl();
    const template = await ensurePostgresTemplate(base);
    const name = `stratus_test_${randomBytes(6).toString("hex")}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name} template ${template}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const h = openDb({ url: url.toString(), max: 20 });
    return {
      ...h,
      url: url.toString(),
      close: async () => {
        await h.close();
        const a = postgres(base, { max: 1, onnotice: () => {} });
        await a.unsafe(`drop database if exists ${name} with (force)`);
        await a.end();
      },
    };
  }
  return openDb({ loadDataDir: new Blob([await ensurePgliteTemplate()]) });
}

export const testDbKind = () => (process.env.TEST_DB === "postgres" ? "postgres" : "pglite");

function postgresBaseUrl() {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL");
  return base;
}

/** A short hash of the migrations: a changed or added migration makes a new template. */
function migrationsHash(): string {
  const dir = path.resolve("db/migrations");
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(e.name).update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/** The PostgreSQL template's name; made (under an advisory lock, so one maker at a time) if missing. */
export async function ensurePostgresTemplate(base = postgresBaseUrl()): Promise<string> {
  const name = `stratus_test_tpl_${migrationsHash()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    const exists = async () => (await admin`select 1 from pg_database where datname = ${name}`).length > 0;
    if (await exists()) return name;
    await admin`select pg_advisory_lock(hashtext(${name}))`;
    try {
      if (await exists()) return name;
      // Made under another name and renamed when complete: a crash never leaves a half-made template.
      const building = `stratus_test_tplb_${randomBytes(6).toString("hex")}`;
      await admin.unsafe(`create database ${building}`);
      const url = new URL(base);
      url.pathname = `/${building}`;
      const h = openDb({ url: url.toString(), max: 1 });
      try {
        await h.migrate();
      } finally {
        await h.close();
      }
      await admin.unsafe(`alter database ${building} rename to ${name}`);
      // Copies need no connection to it; refusing them keeps a stray session from blocking copies.
      await admin.unsafe(`alter database ${name} with is_template true allow_connections false`);
      return name;
    } finally {
      await admin`select pg_advisory_unlock(hashtext(${name}))`;
    }
  } finally {
    await admin.end();
  }
}

/** The PGlite template: a dump of a migrated in-memory cluster, kept in .cache/test-db/. */
export async function ensurePgliteTemplate(): Promise<Uint8Array<ArrayBuffer>> {
  const file = path.resolve(".cache/test-db", `pglite-${migrationsHash()}.tar`);
  if (fs.existsSync(file)) return fs.readFileSync(file);
  const h = openDb({});
  try {
    await h.migrate();
    const client = (h.db as unknown as { $client: { dumpDataDir(c: "none"): Promise<Blob>; exec(q: string): Promise<unknown> } }).$client;
    // A checkpoint first: a copy then starts with no WAL to replay and closes without rewriting it all.
    await client.exec("checkpoint");
    const dump = Buffer.from(await (await client.dumpDataDir("none")).arrayBuffer());
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written aside and renamed: parallel workers never read a half-written dump.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    fs.writeFileSync(tmp, dump);
    fs.renameSync(tmp, file);
    return dump;
  } finally {
    await h.close();
  }
}
