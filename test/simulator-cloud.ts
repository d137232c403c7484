import { afterAll, beforeAll } from "vitest";
import type { DbHandle } from "@/db";
import { openTestDb } from "./db";
import { seedTenancy } from "./fixtures";
import { testWorkers } from "./orchestrator";

/**
 * A test file's simulator cloud: a test database with the tenancy seeded and job workers running,
 * opened before its tests and closed after them. Read the fields inside the tests.
 */
export function simulatorCloud() {
  const cloud = {} as { h: DbHandle; t: Awaited<ReturnType<typeof seedTenancy>>; workers: ReturnType<typeof testWorkers> };
  beforeAll(async () => {
    cloud.h = await openTestDb();
    cloud.t = await seedTenancy(cloud.h.db);
    cloud.workers = testWorkers(cloud.h);
  });
  afterAll(async () => {
    await cloud.workers.stop();
    await cloud.h.close();
  });
  return cloud;
}
