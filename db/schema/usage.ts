import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * Billing facts (VM.CREATE, VM.START, VM.STOP, VM.UPGRADE, VM.DESTROY, VM.EXPUNGE…), written in
 * the transaction of the state change. `idempotencyKey` makes a retried or resumed job unable to
 * write the same fact twice.
 */
export const usageEvents = pgTable(
  "usage_events",
  {
    id: id(),
    type: text("type").notNull(),
    accountId: uuid("account_id").notNull(),
    domainId: uuid("domain_id").notNull(),
    zoneId: uuid("zone_id"),
    resourceId: uuid("resource_id").notNull(),
    resourceName: text("resource_name"),
    offeringId: uuid("offering_id"),
    templateId: uuid("template_id"),
    details: jsonb("details"),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    xactId: bigint("xact_id", { mode: "number" })
      .notNull()
      .default(sql`(pg_current_xact_id()::text)::bigint`),
    createdAt: createdAt(),
  },
  (t) => [
    index("usage_events_account_seq_idx").on(t.accountId, t.seq),
    index("usage_events_resource_seq_idx").on(t.resourceId, t.seq),
    index("usage_events_seq_idx").on(t.seq),
    index("usage_events_xact_idx").on(t.xactId),
  ],
);
