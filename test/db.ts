import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type DbHandle, openDb } from "@/db";

/**
 * A fresh, migrated database for one test file: PGlite in memory by default, or a new database on
 * the PostgreSQL server at TEST_DATABASE_URL when TEST_DB=postgres (dropped again on close).
 */
export async function openTestDb(): Promise<DbHandle & { url?: string }> {
  if (process.env.TEST_DB === "postgres") {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL");
    const name = `stratus_test_${randomBytes(6).toString("hex")}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const h = openDb({ url: url.toString(), max: 20 });
    await h.migrate();
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
  const h = openDb({});
  await h.migrate();
  return h;
}

export const testDbKind = () => (process.env.TEST_DB === "postgres" ? "postgres" : "pglite");
