import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { rowsOf } from "@/db/rows";
import { processSingleton } from "@/lib/process-singleton";

/** The job workers of this process report here (server/orchestrator/jobs/runner.ts). */
const workers = processSingleton("telemetry.workers", () => ({ started: false, lastLoopAt: 0, busy: 0 }));

export const workerStarted = () => {
  workers.started = true;
  workers.lastLoopAt = Date.now();
};
export const workerStopped = () => void (workers.started = false);
export const workerTick = () => void (workers.lastLoopAt = Date.now());
export const workerBusy = (delta: 1 | -1) => void (workers.busy += delta);

/** Alive: started, not stopped, and a loop went round lately or is running a job. */
export function workerAlive(now = Date.now()): boolean {
  return workers.started && (workers.busy > 0 || now - workers.lastLoopAt < 30_000);
}

function expectedMigrations(): number {
  const journal = path.join(/*turbopackIgnore: true*/ process.cwd(), "db", "migrations", "meta", "_journal.json");
  return (JSON.parse(fs.readFileSync(journal, "utf8")) as { entries: unknown[] }).entries.length;
}

export interface Health {
  ok: boolean;
  database: boolean;
  migrations: boolean;
  worker: boolean;
}

/**
 * What a load balancer needs to know and nothing more: the database answers, every migration this
 * build ships is applied, and this process's job workers are alive. No versions, names or counts.
 */
export async function checkHealth(db: Db): Promise<Health> {
  let database = false;
  let migrations = false;
  try {
    await db.execute(sql`select 1`);
    database = true;
    const applied = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`));
    migrations = Number(applied[0]?.n ?? 0) >= expectedMigrations();
  } catch {
    // database or migrations stay false
  }
  const worker = workerAlive();
  return { ok: database && migrations && worker, database, migrations, worker };
}
