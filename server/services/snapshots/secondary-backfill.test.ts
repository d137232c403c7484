import fs from "node:fs";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { resourceCounters, snapshots, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";

/**
 * Migration 0015's custom SQL: snapshots taken before it counted nothing against
 * secondary_storage_gib; its statements give the account and every ancestor domain exactly what
 * the code counts for them now.
 */
let h: DbHandle;
beforeAll(async () => {
  h = await openTestDb();
});
afterAll(async () => {
  await h.close();
});

it(`0015 backfills the secondary storage counters of existing snapshots (${testDbKind()})`, async () => {
  const t = await seedTenancy(h.db);
  const workers = testWorkers(h);
  const tenant = api(h.db, t.callers.tenant);
  const [vm] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "backfill" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  const [root] = await h.db.select().from(volumes).where(eq(volumes.instanceId, vm!.id));
  const taken = await tenant.snapshot.take({ volumeId: root!.id });
  expect((await waitForJob(h.db, taken.jobId)).status).toBe("succeeded");
  await workers.stop();
  const counters = async () =>
    (
      await h.db
        .select()
        .from(resourceCounters)
        .where(sql`resource_type = 'secondary_storage_gib'`)
    )
      .map((r) => `${r.accountId ?? r.domainId}=${r.used}`)
      .sort();
  const counted = await counters();
  // Back to how a database from before 0015 looks: nothing counted for the snapshot.
  const [snap] = await h.db.select().from(snapshots).where(eq(snapshots.id, taken.id));
  expect(snap!.countedGib).toBeGreaterThan(0);
  await h.db.execute(sql`update resource_counters set used = used - ${snap!.countedGib}
    where resource_type = 'secondary_storage_gib' and (account_id = ${snap!.accountId} or ${snap!.domainPath} like '%/' || domain_id::text || '/%')`);
  await h.db.update(snapshots).set({ countedGib: 0 }).where(eq(snapshots.id, snap!.id));
  expect(await counters()).not.toEqual(counted);
  // The migration's data statements (after its generated ALTER TABLE).
  const statements = fs
    .readFileSync("db/migrations/0015_snapshot_secondary_storage.sql", "utf8")
    .split("--> statement-breakpoint")
    .slice(1);
  for (const s of statements) await h.db.execute(sql.raw(s));
  expect(await counters()).toEqual(counted);
  expect((await h.db.select().from(snapshots).where(eq(snapshots.id, taken.id)))[0]!.countedGib).toBe(snap!.countedGib);
});
