import { eq } from "drizzle-orm";
import type { Db, DbHandle } from "@/db";
import { computeOfferings, jobs, templates, zones } from "@/db/schema";
import { registerOrchestrator } from "@/server/orchestrator";
import { startWorkers } from "@/server/orchestrator/jobs/runner";
import { JOB_CHANNEL } from "@/server/orchestrator/jobs/queue";

/** Job workers for a test's database (handlers and the simulator registered). */
export function testWorkers(h: DbHandle, owner = "test-worker", concurrency = 4) {
  registerOrchestrator(h);
  return startWorkers({ db: h.db, owner, concurrency, pollMs: 100, log: () => {}, listen: (cb) => h.listen(JOB_CHANNEL, cb) });
}

/** Waits until the job is finished; returns it. */
export async function waitForJob(db: Db, jobId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [j] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    if (j && (j.status === "succeeded" || j.status === "failed")) return j;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${j?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The seeded simulator zone, a template and an offering by name. */
export async function deployChoicesByName(db: Db, offering = "Small", template = "Tiny Linux") {
  const [zone] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
  const [o] = await db.select().from(computeOfferings).where(eq(computeOfferings.name, offering));
  const [t] = await db.select().from(templates).where(eq(templates.name, template));
  return { zoneId: zone!.id, computeOfferingId: o!.id, templateId: t!.id };
}
