import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

export const jobStatus = pgEnum("job_status", ["queued", "running", "succeeded", "failed"]);

/**
 * Durable async jobs. Created in the same transaction as the state change they carry out; claimed
 * with FOR UPDATE SKIP LOCKED and a lease (lockedBy, leaseUntil) renewed by heartbeats. `steps`
 * lists completed steps, so a job resumed after a crash skips what is done.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: id(),
    type: text("type").notNull(),
    status: jobStatus("status").notNull().default("queued"),
    resourceType: text("resource_type").notNull(),
    resourceId: uuid("resource_id").notNull(),
    accountId: uuid("account_id"),
    domainPath: text("domain_path"),
    userId: uuid("user_id"),
    /** The HTTP request that queued the job (x-request-id), so its log lines join the request's. */
    requestId: text("request_id"),
    input: jsonb("input").notNull().default({}),
    result: jsonb("result"),
    error: text("error"),
    progress: integer("progress").notNull().default(0),
    progressMessage: text("progress_message"),
    steps: text("steps").array().notNull().default([]),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(5),
    runAfter: timestamp("run_after", { withTimezone: true }).notNull().defaultNow(),
    lockedBy: text("locked_by"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    // One job in flight per resource: a second operation on a busy VM is refused.
    uniqueIndex("jobs_one_active_per_resource")
      .on(t.resourceId)
      .where(sql`${t.status} in ('queued', 'running')`),
    // Claiming reads only queued jobs or expired leases: small partial indexes stay fast however
    // many finished jobs the table holds.
    index("jobs_queued_idx")
      .on(t.runAfter, t.createdAt)
      .where(sql`${t.status} = 'queued'`),
    index("jobs_lease_idx")
      .on(t.leaseUntil)
      .where(sql`${t.status} = 'running'`),
    index("jobs_resource_idx").on(t.resourceId, t.createdAt),
    index("jobs_account_idx").on(t.accountId, t.createdAt),
  ],
);
