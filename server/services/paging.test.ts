import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { COUNT_CAP, pageTotal } from "./paging";

/** A list's total is exact up to COUNT_CAP rows past the page it shows, then "at least" with more pages to go to. */
let h: DbHandle;
const ROWS = COUNT_CAP + 150;

beforeAll(async () => {
  h = await openTestDb();
  await h.db.execute(sql`
    insert into events (type, description) select 'TEST.MANY', 'row ' || n from generate_series(1, ${ROWS}) as n`);
  await h.db.insert(events).values([1, 2, 3].map((n) => ({ type: "TEST.FEW", description: `few ${n}` })));
});
afterAll(() => h.close());

describe(`page totals (${testDbKind()})`, () => {
  const many = eq(events.type, "TEST.MANY");
  it("a small list is counted exactly", async () => {
    expect(await pageTotal(h.db, events, eq(events.type, "TEST.FEW"), 0)).toEqual({ total: 3, totalCapped: false });
  });
  it("the first page of a long list stops counting at the cap and says there is more", async () => {
    expect(await pageTotal(h.db, events, many, 0)).toEqual({ total: COUNT_CAP, totalCapped: true });
  });
  it("a page further on counts the cap past its own start, so Next keeps leading on", async () => {
    expect(await pageTotal(h.db, events, many, 100)).toEqual({ total: 100 + COUNT_CAP, totalCapped: true });
    // Within the cap of the end: the exact total.
    expect(await pageTotal(h.db, events, many, 200)).toEqual({ total: ROWS, totalCapped: false });
  });
});
