import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, jobs, simulatorVms, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { killAllWorkers, spawnWorker } from "@/test/processes";
import { capacityViolations, deployChoicesByName, setSimLatency, testWorkers, waitForJob } from "@/test/orchestrator";
import { registerOrchestrator } from "@/server/orchestrator";
import { writeLimits } from "@/server/core/limits";

/**
 * Two orchestrators share one queue: every job runs exactly once, and both take part. On
 * PostgreSQL two worker processes; on PGlite two worker pools with different owners in this
 * process (PGlite cannot be shared between processes).
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  registerOrchestrator(h);
});
afterAll(async () => {
  await killAllWorkers();
  await h.close();
});

const N = 24;

async function startTwo(): Promise<{ owners: [string, string]; stop: () => Promise<void> }> {
  if (testDbKind() === "postgres") {
    const [p, q] = await Promise.all([
      spawnWorker(h.url!, "queue-p", { STRATUS_JOB_CONCURRENCY: "3" }),
      spawnWorker(h.url!, "queue-q", { STRATUS_JOB_CONCURRENCY: "3" }),
    ]);
    return { owners: ["queue-p", "queue-q"], stop: async () => void (await Promise.all([p.kill("SIGTERM"), q.kill("SIGTERM")])) };
  }
  const p = testWorkers(h, "queue-p", 3);
  const q = testWorkers(h, "queue-q", 3);
  return { owners: ["queue-p", "queue-q"], stop: async () => void (await Promise.all([p.stop(), q.stop()])) };
}

describe(`two orchestrators on one queue (${testDbKind()})`, () => {
  it(`${N} deploys: each job runs exactly once, and both owners ran some`, async () => {
    await writeLimits(
      h.db,
      { accountId: t.tenantAccount.id },
      { instances: null, vcpus: null, memory_mib: null, volumes: null, primary_storage_gib: null },
    );
    // Slow enough that one owner's 3 slots cannot swallow the whole queue.
    await setSimLatency(h.db, { create: 60, start: 120 });
    const pair = await startTwo();
    try {
      const tenant = api(h.db, t.callers.tenant);
      const choices = await deployChoicesByName(h.db);
      const deployed = [
        ...(await tenant.instance.deploy({ ...choices, name: "q", count: N / 2 })),
        ...(await tenant.instance.deploy({ ...choices, name: "r", count: N / 2 })),
      ];
      expect(deployed).toHaveLength(N);
      const done = await Promise.all(deployed.map((d) => waitForJob(h.db, d.jobId, 60_000)));

      expect(done.map((j) => j.status)).toEqual(Array(N).fill("succeeded"));
      // Exactly once: one claim each, each step once, one start fact and one Running event per VM.
      expect(done.map((j) => j.attempts)).toEqual(Array(N).fill(1));
      for (const j of done) expect(j.steps).toEqual(["root-volume", "networks", "security-groups", "define", "start"]);
      const ids = deployed.map((d) => d.id);
      const starts = await h.db
        .select()
        .from(usageEvents)
        .where(and(inArray(usageEvents.resourceId, ids), eq(usageEvents.type, "VM.START")));
      expect(starts.map((u) => u.resourceId).sort()).toEqual([...ids].sort());
      const running = await h.db
        .select()
        .from(events)
        .where(and(inArray(events.resourceId, ids), eq(events.type, "VM.RUNNING")));
      expect(running.map((e) => e.resourceId).sort()).toEqual([...ids].sort());
      expect(await h.db.select().from(simulatorVms).where(eq(simulatorVms.state, "running"))).toHaveLength(N);

      const byOwner = new Map<string, number>();
      for (const j of await h.db
        .select()
        .from(jobs)
        .where(
          inArray(
            jobs.id,
            done.map((d) => d.id),
          ),
        ))
        byOwner.set(j.lockedBy!, (byOwner.get(j.lockedBy!) ?? 0) + 1);
      expect([...byOwner.keys()].sort()).toEqual([...pair.owners].sort());
      expect([...byOwner.values()].reduce((a, b) => a + b, 0)).toBe(N);
      expect(await capacityViolations(h.db)).toEqual([]);
    } finally {
      await pair.stop();
      await setSimLatency(h.db, {});
    }
  }, 90_000);
});
