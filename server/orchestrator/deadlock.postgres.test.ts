import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { jobs } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { killAllWorkers, spawnScript, type WorkerProcess } from "@/test/processes";
import { capacityViolations } from "@/test/orchestrator";
import { accountOwner, writeLimits } from "@/server/core/limits";
import { callerFor } from "@/test/fixtures";

/**
 * Ordinary concurrent use must not deadlock: two Stratus processes (each with job workers, a fast
 * reconciler loop and API traffic: deploy, stop, start, destroy, expunge from three accounts) on
 * one PostgreSQL, no faults injected. Any 500, failed job or reconciler error fails the test.
 * PostgreSQL only (a `.postgres.test.ts` file, which the PGlite run leaves out): PGlite is a single
 * connection, so its transactions never wait on each other.
 */
let h: DbHandle & { url?: string };

beforeAll(async () => {
  if (testDbKind() !== "postgres") throw new Error("deadlock.postgres.test.ts needs TEST_DB=postgres");
  h = await openTestDb();
  await seedTenancy(h.db);
  for (const username of ["tenant", "globex", "tenant2"]) {
    const caller = await callerFor(h.db, username);
    const owner = await accountOwner(h.db, caller.accountId);
    await writeLimits(
      h.db,
      { accountId: owner.id },
      { instances: null, vcpus: null, memory_mib: null, volumes: null, primary_storage_gib: null },
    );
  }
});
afterAll(async () => {
  await killAllWorkers();
  await h?.close();
});

interface TrafficResult {
  owner: string;
  calls: number;
  cycles: number;
  serverErrors: string[];
  otherErrors: Record<string, number>;
  workerErrors: string[];
  reconcileErrors: string[];
}

const resultOf = (w: WorkerProcess): TrafficResult => {
  const line = w
    .output()
    .split("\n")
    .find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${w.owner} printed no result:\n${w.output()}`);
  return JSON.parse(line.slice("RESULT ".length)) as TrafficResult;
};

describe("no deadlocks under ordinary concurrent use", () => {
  it("two processes of deploy/stop/start/destroy/expunge traffic, jobs and reconcilers: no 500, no failed job", async () => {
    const env = { TRAFFIC_MS: "15000", TRAFFIC_LOOPS: "4" };
    const script = "test/traffic-process.ts";
    const [p, q] = await Promise.all([
      spawnScript(script, h.url!, "dl-p", { ...env, TRAFFIC_OWNER: "dl-p", TRAFFIC_USERS: "tenant,globex" }, 40_000),
      spawnScript(script, h.url!, "dl-q", { ...env, TRAFFIC_OWNER: "dl-q", TRAFFIC_USERS: "globex,tenant2" }, 40_000),
    ]);
    const before = await deadlocks(h);
    await h.db.execute(sql`select pg_notify('traffic_go', 'go')`);
    await Promise.all([p.exited, q.exited]);
    const results = [resultOf(p), resultOf(q)];
    const after = await deadlocks(h);
    const summary = results.map((r) => ({ owner: r.owner, calls: r.calls, cycles: r.cycles, conflicts: r.otherErrors }));
    console.log(`deadlock test: ${after - before} deadlocks detected by PostgreSQL`, JSON.stringify(summary));
    // Retries hide a deadlock from the callers; the count does not: any is a lock-order violation
    // (PostgreSQL's log names the statements).
    expect(after - before, "deadlocks detected by PostgreSQL").toBe(0);

    // Enough traffic to mean something.
    for (const r of results) expect(r.cycles, `${r.owner} completed few cycles`).toBeGreaterThan(3);
    expect(results.flatMap((r) => r.serverErrors)).toEqual([]);
    const failed = await h.db.select({ type: jobs.type, error: jobs.error }).from(jobs).where(eq(jobs.status, "failed"));
    expect(failed.map((j) => `${j.type}: ${j.error}`)).toEqual([]);
    expect(results.flatMap((r) => r.reconcileErrors)).toEqual([]);
    expect(results.flatMap((r) => r.workerErrors)).toEqual([]);
    expect(await capacityViolations(h.db)).toEqual([]);
  }, 90_000);
});

/** Deadlocks PostgreSQL detected in this database so far (its statistics lag a moment). */
async function deadlocks(db: DbHandle) {
  await new Promise((r) => setTimeout(r, 600));
  const res = await db.db.execute(sql`select deadlocks::int as n from pg_stat_database where datname = current_database()`);
  return Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
}
