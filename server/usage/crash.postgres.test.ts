import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { computeOfferings, domains, jobs, usageAggregation } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { seed } from "@/db/seed";
import { killAllWorkers, spawnWorker } from "@/test/processes";
import { waitFor, waitForJob } from "@/test/orchestrator";
import { insertSyntheticFacts } from "@/test/usage-facts";
import { aggregateUsage } from "./aggregate";
import { enqueueUsageAggregation } from "./job";

/**
 * kill -9 in the middle of an aggregation: a real worker process on PostgreSQL is killed once it
 * has committed some periods and is inside the next; another process finishes the job. The
 * records must equal those of one uninterrupted run: nothing lost, nothing doubled.
 */
let h: DbHandle & { url?: string };
beforeAll(async () => {
  h = await openTestDb();
  await seed(h.db, { demo: true });
});
afterAll(async () => {
  await killAllWorkers();
  await h.close();
});

const start = new Date("2026-10-01T00:00:00Z");
const now = new Date("2026-10-11T00:00:00Z");
const fingerprint = async () =>
  rowsOf<{ n: string; seconds: string; digest: string }>(
    await h.db.execute(sql`
      select count(*)::text as n, coalesce(sum(seconds), 0)::text as seconds,
        md5(coalesce(string_agg(concat_ws(',', account_id, usage_type, resource_id, period_start, dimensions_key, seconds, size, quantity), ';'
          order by account_id, usage_type, resource_id, period_start, dimensions_key), '')) as digest
      from usage_records`),
  )[0]!;

describe("usage aggregation killed mid-run (postgres)", () => {
  it("SIGKILL after some committed chunks: the next worker finishes; records equal one clean run", async () => {
    const [d] = await h.db.select().from(domains).where(eq(domains.name, "Acme Cloud"));
    const [o] = await h.db.select().from(computeOfferings).limit(1);
    await insertSyntheticFacts(h.db, {
      events: 100_000,
      accounts: 50,
      start,
      hours: 24 * 10,
      domainId: d!.id,
      offeringId: o!.id,
      salt: "crash",
    });

    const a = await spawnWorker(h.url!, "usage-a", { STRATUS_LEASE_MS: "2000" });
    const job = (await enqueueUsageAggregation(h.db, { now: now.toISOString(), maxPeriods: 24 }))!;
    // A has committed at least two days of periods and is inside the next chunk.
    await waitFor(
      "two chunks committed",
      async () => {
        const [s] = await h.db.select().from(usageAggregation);
        return s && s.aggregatedUntil.getTime() >= start.getTime() + 2 * 86_400_000;
      },
      60_000,
    );
    await a.kill("SIGKILL");
    const [mid] = await h.db.select().from(usageAggregation);
    const [j] = await h.db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(j!.status).toBe("running");
    expect(mid!.aggregatedUntil.getTime()).toBeLessThan(now.getTime());

    const b = await spawnWorker(h.url!, "usage-b", { STRATUS_LEASE_MS: "2000" });
    const done = await waitForJob(h.db, job.id, 120_000);
    expect(done.status, `${done.error}\n${b.output()}`).toBe("succeeded");
    expect([done.lockedBy, done.attempts]).toEqual(["usage-b", 2]);
    const [end] = await h.db.select().from(usageAggregation);
    expect(end!.aggregatedUntil.toISOString()).toBe(now.toISOString());
    const afterCrash = await fingerprint();
    expect(Number(afterCrash.n)).toBeGreaterThan(0);
    await b.kill("SIGTERM");

    // One clean run from nothing gives the same records.
    await h.db.execute(sql`delete from usage_records`);
    await h.db.execute(sql`delete from usage_aggregation`);
    await aggregateUsage(h.db, { now });
    expect(await fingerprint()).toEqual(afterCrash);
  }, 240_000);
});
