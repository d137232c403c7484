import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { openTestDb } from "@/test/db";
import { prepareHelpers } from "./parallel";

/** The back-fill's staging tables follow usage_records' columns (PostgreSQL only: PGlite has one connection and no helpers). */
let h: DbHandle;
beforeAll(async () => {
  h = await openTestDb();
});
afterAll(() => h.close());

const columns = async (table: string) =>
  rowsOf<{ n: number }>(await h.db.execute(sql`select count(*)::int as n from information_schema.columns where table_name = ${table}`))[0]!
    .n;

describe("usage back-fill staging (postgres)", () => {
  it("is made with usage_records' columns plus the run id, and remade when they differ", async () => {
    expect(await prepareHelpers(h.db, 2)).toBe(2);
    const wanted = (await columns("usage_records")) + 1;
    expect(await columns("usage_records_stage")).toBe(wanted);
    // As if usage_records had gained a column since the staging was made.
    await h.db.execute(sql`drop table usage_records_stage`);
    await h.db.execute(sql`create unlogged table usage_records_stage (run_id bigint not null)`);
    expect(await prepareHelpers(h.db, 2)).toBe(2);
    expect(await columns("usage_records_stage")).toBe(wanted);
  });
});
