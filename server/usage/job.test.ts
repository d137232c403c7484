import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { computeOfferings, usageAggregation, usageRecords } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { testWorkers, waitForJob } from "@/test/orchestrator";
import { insertSyntheticFacts } from "@/test/usage-facts";
import { serviceSchedules } from "@/server/services/background";
import { enqueueUsageAggregation } from "./job";

/** The aggregation as the orchestrator runs it: a durable job, one at a time, on the schedule. */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

describe(`usage.aggregate job (${testDbKind()})`, () => {
  it("is scheduled hourly by default", () => {
    expect(serviceSchedules.find((s) => s.name === "usage-aggregate")?.everyMs).toBe(3_600_000);
  });

  it("a queued aggregation refuses a second one; a worker runs it to the watermark", async () => {
    const [o] = await h.db.select().from(computeOfferings).limit(1);
    const start = new Date("2026-11-05T00:00:00Z");
    await insertSyntheticFacts(h.db, {
      events: 500,
      accounts: 3,
      start,
      hours: 12,
      domainId: t.domains.acme.id,
      offeringId: o!.id,
      salt: "job",
    });
    const now = "2026-11-06T00:30:00.000Z";
    const job = await enqueueUsageAggregation(h.db, { now });
    expect(job).not.toBeNull();
    expect(await enqueueUsageAggregation(h.db, { now })).toBeNull();
    const workers = testWorkers(h, "usage-worker");
    const done = await waitForJob(h.db, job!.id);
    await workers.stop();
    expect(done.status, done.error ?? "").toBe("succeeded");
    const [state] = await h.db.select().from(usageAggregation);
    expect(state!.aggregatedUntil.toISOString()).toBe("2026-11-06T00:00:00.000Z");
    expect((await h.db.select().from(usageRecords).where(eq(usageRecords.domainId, t.domains.acme.id))).length).toBe(state!.lastRecords);
  });
});
