import fs from "node:fs";
import path from "node:path";
import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { networkOfferings } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";

/**
 * A database made before network offerings existed gets the default ones from migration 0023; one
 * that has offerings (or no ROOT yet: the seed adds them) is left as it is.
 */
const migration = fs.readFileSync(path.join(process.cwd(), "db/migrations/0023_seed_network_offerings.sql"), "utf8");
let h: DbHandle;
beforeAll(async () => {
  h = await openTestDb();
});
afterAll(() => h.close());

it(`seeds the default network offerings into an upgraded database only on ${testDbKind()}`, async () => {
  await h.db.delete(networkOfferings).where(sql`true`);
  await h.db.execute(sql.raw(migration));
  expect(await h.db.select().from(networkOfferings)).toHaveLength(0); // no ROOT: the seed's job
  await seedTenancy(h.db);
  await h.db.delete(networkOfferings).where(sql`true`);
  await h.db.execute(sql.raw(migration));
  const seeded = await h.db.select().from(networkOfferings).orderBy(asc(networkOfferings.name));
  expect(seeded.map((o) => [o.name, o.guestType, o.isDefault])).toEqual([
    ["Default isolated", "isolated", true],
    ["L2", "l2", false],
    ["Shared", "shared", false],
  ]);
  await h.db.execute(sql.raw(migration));
  expect(await h.db.select().from(networkOfferings)).toHaveLength(3);
});
