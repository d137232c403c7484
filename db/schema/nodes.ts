import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The live orchestrator processes sharing this database (CloudStack's mshost): each renews its
 * lease every third of it. The hosts are shared out among the rows whose lease has not expired
 * (server/orchestrator/cluster/membership.ts), so a process that joins or dies (its lease runs
 * out) moves hosts at the others' next renewal. A clean shutdown deletes its row at once.
 */
export const orchestratorNodes = pgTable("orchestrator_nodes", {
  /** The process's owner id, as in jobs.locked_by. */
  id: text("id").primaryKey(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
  leaseUntil: timestamp("lease_until", { withTimezone: true }).notNull(),
});
