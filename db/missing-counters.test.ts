import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { resourceCounters } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";

/**
 * A resource type added after accounts and domains exist (secondary_storage_gib) gets its counter
 * rows when the migrations run again at start-up, unlimited and unused; rows that exist are kept.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

it(`adds the missing counter rows of every owner on ${testDbKind()}`, async () => {
  const mine = and(eq(resourceCounters.accountId, t.tenantAccount.id), eq(resourceCounters.resourceType, "secondary_storage_gib"));
  const domain = and(eq(resourceCounters.domainId, t.domains.acme.id), eq(resourceCounters.resourceType, "secondary_storage_gib"));
  await h.db.update(resourceCounters).set({ max: 7 }).where(domain);
  await h.db.delete(resourceCounters).where(mine);
  await h.migrate();
  const [acc] = await h.db.select().from(resourceCounters).where(mine);
  expect(acc).toMatchObject({ max: null, used: 0 });
  const [dom] = await h.db.select().from(resourceCounters).where(domain);
  expect(dom!.max).toBe(7);
});
