import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
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
    // The aggregation reads a type's facts from the watermark on (server/usage/aggregate.ts).
    index("usage_events_type_occurred_idx").on(t.type, t.occurredAt),
    index("usage_events_account_seq_idx").on(t.accountId, t.seq),
    index("usage_events_resource_seq_idx").on(t.resourceId, t.seq),
    index("usage_events_seq_idx").on(t.seq),
    index("usage_events_xact_idx").on(t.xactId),
  ],
);

/**
 * Usage records: what the aggregation (server/usage/aggregate.ts) makes of the facts, one row per
 * account, usage type, resource, hourly period and dimensions (offering, template, size…). A period
 * is recomputed as a whole and its rows replaced, so re-running it changes nothing. Quantities are
 * exact: `seconds` (numeric, microseconds kept) times `size` (1 for a VM or an address, GiB for
 * storage) is the raw usage; `quantity` is the same in the type's unit (hours, GiB-hours), rounded
 * to 9 decimals for display and sums. Prices (part 2) multiply seconds × size, never a float.
 */
export const usageRecords = pgTable(
  "usage_records",
  {
    accountId: uuid("account_id").notNull(),
    domainId: uuid("domain_id").notNull(),
    /** The domain's path when aggregated, for the scope condition (reseller = path prefix). */
    domainPath: text("domain_path").notNull(),
    /** CloudStack's usage type number (1 RUNNING_VM, 2 ALLOCATED_VM, 6 VOLUME…) and its name. */
    usageType: integer("usage_type").notNull(),
    typeName: text("type_name").notNull(),
    resourceId: uuid("resource_id").notNull(),
    resourceName: text("resource_name"),
    zoneId: uuid("zone_id"),
    offeringId: uuid("offering_id"),
    templateId: uuid("template_id"),
    /** Further dimensions of the type (vCPU, MHz, memory MiB for VMs; volume type…), canonical JSON. */
    dimensions: jsonb("dimensions").$type<Record<string, unknown>>().notNull(),
    /**
     * The offering, template and dimensions hashed (md5 as a uuid): part of the key, so two offerings
     * in one hour are two records, in 16 bytes rather than the text (the key's index is most of the write cost).
     */
    dimensionsKey: uuid("dimensions_key").notNull(),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
    seconds: numeric("seconds").notNull(),
    // Unconstrained numeric: bytes as GiB need up to 30 decimals, and rounding here would not be exact.
    size: numeric("size").notNull(),
    /** "hours", "GiB-hours" (the unit of `quantity`). */
    unit: text("unit").notNull(),
    quantity: numeric("quantity", { precision: 30, scale: 9 }).notNull(),
    aggregatedAt: timestamp("aggregated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Account, then period: the key also serves a tenant's reports (account and period range) and the
    // rating's reads (account, resource from an hour on), so no other B-tree is kept up per record —
    // each cost about as much CPU per record as writing the row. Each run appends its periods at
    // the end of every account's range.
    primaryKey({ columns: [t.accountId, t.periodStart, t.usageType, t.resourceId, t.dimensionsKey] }),
    // BRIN: records arrive in period order, so a block range index finds a period range at a fraction of a B-tree's upkeep.
    // A reseller's reports (domain path prefix, which a B-tree under the database's collation cannot serve) read by it.
    index("usage_records_period_idx").using("brin", t.periodStart),
    // The rating (server/billing/rate.ts) finds what each run (re)wrote by this; BRIN, nearly free to keep.
    index("usage_records_aggregated_at_idx").using("brin", t.aggregatedAt),
  ],
);

/**
 * The aggregation's watermark (one row): periods before `aggregatedUntil` are done, and facts of
 * transactions below `foldedXid` have been folded in. Updated in the transaction that writes the
 * records, so a run that dies leaves both as they were.
 */
export const usageAggregation = pgTable("usage_aggregation", {
  id: text("id").primaryKey(),
  aggregatedUntil: timestamp("aggregated_until", { withTimezone: true }).notNull(),
  foldedXid: bigint("folded_xid", { mode: "number" }).notNull(),
  lastRunAt: timestamp("last_run_at", { withTimezone: true }).notNull().defaultNow(),
  lastRecords: integer("last_records").notNull().default(0),
  /**
   * `usage_open_intervals` holds the intervals still open at this time; when it equals
   * `aggregatedUntil` a run reads only newer facts plus those, otherwise (first run, types
   * restricted) all facts.
   */
  openIntervalsUntil: timestamp("open_intervals_until", { withTimezone: true }),
  /**
   * The period length (minutes) the records up to `aggregatedUntil` were cut into; null: before
   * the length was configurable (60). A run with another length makes the day's records again.
   */
  periodMinutes: integer("period_minutes"),
});

/**
 * The intervals still open at the watermark, carried between runs so that a run reads only the
 * facts since the watermark: per usage type and resource whose interval is open, the fact that
 * opened it and the last fact (a change) since, which is all the next run needs to continue it.
 * Replaced in the transaction that moves the watermark.
 */
export const usageOpenIntervals = pgTable(
  "usage_open_intervals",
  {
    usageType: integer("usage_type").notNull(),
    factId: uuid("fact_id").notNull(),
    resourceId: uuid("resource_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.usageType, t.factId] })],
);
