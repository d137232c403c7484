import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { instances } from "@/db/schema";
import { expungeInstance } from "./operations";

/** Destroyed VMs whose expunge delay has passed and that have no job in flight. */
export async function dueForExpunge(db: Db, limit = 100) {
  return db
    .select()
    .from(instances)
    .where(
      and(
        eq(instances.state, "destroyed"),
        sql`${instances.expungeAfter} <= now()`,
        sql`not exists (select 1 from jobs where jobs.resource_id = ${instances.id} and jobs.status in ('queued', 'running'))`,
      ),
    )
    .limit(limit);
}

/**
 * The expunge sweep (run periodically by the orchestrator, handed to it by server.ts): queues the
 * expunge of every VM due. A VM that changed meanwhile (recovered, or a job started on it) is
 * simply skipped; the next sweep looks again.
 */
export async function expungeDue(db: Db) {
  for (const vm of await dueForExpunge(db)) await expungeInstance(db, null, vm.id, vm).catch(() => undefined);
}
