import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { computeOfferings } from "@/db/schema";
import { rateUsage } from "@/server/billing/rate";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { insertSyntheticFacts } from "@/test/usage-facts";
import { aggregateUsage } from "./aggregate";
import { prepareHelpers } from "./parallel";
import { type IntervalUsageType, usageTypes } from "./types";

/**
 * Back-fills computed on helper connections (PostgreSQL only: PGlite has one connection): the same
 * records as one connection; helpers that write records themselves leave nothing a reader sees when
 * the run dies, and the next run replaces what they left; the staging follows usage_records' columns.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const one = async <T>(q: ReturnType<typeof sql>) => rowsOf<T>(await h.db.execute(q))[0]!;
const columns = async (table: string) =>
  (await one<{ n: number }>(sql`select count(*)::int as n from information_schema.columns where table_name = ${table}`)).n;
const fingerprint = () =>
  one<{ n: string; digest: string }>(sql`
    select count(*)::text as n, md5(coalesce(string_agg(concat_ws(',', account_id, usage_type, resource_id, period_start, dimensions_key,
      seconds, size, quantity, dimensions::text, domain_path, type_name, unit, period_end), ';'
      order by account_id, usage_type, resource_id, period_start, dimensions_key), '')) as digest
    from usage_records`);
const reset = () => h.db.execute(sql`truncate usage_records, usage_aggregation, usage_open_intervals, charges, usage_rating`);

const start = new Date("2026-11-10T00:00:00Z");
const now = new Date(start.getTime() + 40 * 3_600_000);

describe("usage back-fill on helper connections (postgres)", () => {
  it("writes the records on the helpers, equal to one connection's; a run that dies leaves nothing visible, the next replaces it", async () => {
    const [o] = await h.db.select().from(computeOfferings).limit(1);
    await insertSyntheticFacts(h.db, {
      events: 3000,
      offset: 0,
      accounts: 4,
      start,
      hours: 30,
      domainId: t.domains.acme.id,
      offeringId: o!.id,
      salt: "par",
    });
    await aggregateUsage(h.db, { now, parallel: 1 });
    const sequential = await fingerprint();
    expect(Number(sequential.n)).toBeGreaterThan(1000);

    await reset();
    await aggregateUsage(h.db, { now, parallel: 2 });
    expect(await fingerprint()).toEqual(sequential);
    // Written by the helpers' own transactions (begun after the chunk's), not copied by the chunk's.
    const when = await one<{ helpers: boolean }>(sql`
      select min(r.aggregated_at) > (select last_run_at from usage_aggregation) as helpers from usage_records r`);
    expect(when.helpers).toBe(true);

    // A run that dies after some helpers committed their types: no watermark, so no reader sees them.
    await reset();
    const volume = usageTypes.find((x) => x.name === "VOLUME") as IntervalUsageType;
    const broken: IntervalUsageType = { ...volume, name: "BROKEN", usageType: 999, where: "1 / (f.seq * 0) = 1" };
    await expect(aggregateUsage(h.db, { now, parallel: 2, types: [...usageTypes, broken] })).rejects.toMatchObject({
      cause: { message: "division by zero" },
    });
    expect(Number((await fingerprint()).n)).toBeGreaterThan(0);
    const admin = api(h.db, t.callers.admin);
    const range = { from: start, to: now };
    expect((await admin.usage.records({ ...range })).items).toEqual([]);
    expect((await admin.usage.summary({ ...range, top: 5 })).byType).toEqual([]);
    expect(await rateUsage(h.db)).toEqual({ charges: 0, resources: 0 });

    await aggregateUsage(h.db, { now, parallel: 2 });
    expect(await fingerprint()).toEqual(sequential);
    expect((await admin.usage.records({ ...range })).total).toBe(Number(sequential.n));
    await reset();
    await h.db.execute(sql`truncate usage_events`);
  });

  it("makes the staging with usage_records' columns plus the run id, and remakes it when they differ", async () => {
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
