import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, numeric, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";

export const alertSeverity = pgEnum("alert_severity", ["warning", "critical"]);
export const alertState = pgEnum("alert_state", ["open", "resolved"]);
export const alertDeliveryStatus = pgEnum("alert_delivery_status", ["pending", "sent", "failed"]);

/**
 * An admin's changes to a built-in alert rule (server/alerts/rules.ts holds the rules and their
 * defaults): enabled, and the warning and critical thresholds (percent, seconds… per rule). A rule
 * without a row runs with its defaults.
 */
export const alertRuleSettings = pgTable("alert_rule_settings", {
  rule: text("rule").primaryKey(),
  enabled: boolean("enabled").notNull().default(true),
  warning: numeric("warning", { precision: 12, scale: 2, mode: "number" }),
  critical: numeric("critical", { precision: 12, scale: 2, mode: "number" }),
  updatedBy: uuid("updated_by"),
  updatedAt: updatedAt(),
});

/**
 * Alerts: one open alert per (rule, subject) (a partial unique index), which the evaluator opens,
 * raises or lowers in severity and resolves when its condition clears; resolved ones stay as history.
 * Infrastructure alerts have no account (root admin only); an alert about a tenant's objects (its
 * VMs stopped by a host failure) carries the account and its domain path, so the tenant and the
 * resellers above it see it too.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: id(),
    rule: text("rule").notNull(),
    subjectType: text("subject_type").notNull(),
    /** What the alert is about: a host, zone or cluster id, "host:account" for a tenant's alert, "global". */
    subjectKey: text("subject_key").notNull(),
    subjectName: text("subject_name").notNull(),
    severity: alertSeverity("severity").notNull(),
    state: alertState("state").notNull().default("open"),
    title: text("title").notNull(),
    description: text("description").notNull(),
    accountId: uuid("account_id"),
    domainPath: text("domain_path"),
    details: jsonb("details"),
    openedAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("alerts_one_open_per_subject")
      .on(t.rule, t.subjectKey)
      .where(sql`${t.state} = 'open'`),
    index("alerts_opened_idx").on(t.openedAt),
    index("alerts_account_idx").on(t.accountId, t.openedAt),
    index("alerts_domain_path_idx").on(t.domainPath),
  ],
);

/** A user's alert preferences: e-mail on or off, the least severity mailed, and when they last read their alerts (the bell's unread count). */
export const alertSubscriptions = pgTable("alert_subscriptions", {
  userId: uuid("user_id").primaryKey(),
  email: boolean("email").notNull().default(false),
  minSeverity: alertSeverity("min_severity").notNull().default("warning"),
  lastReadAt: timestamp("last_read_at", { withTimezone: true }),
  updatedAt: updatedAt(),
});

/**
 * The outbox of alert notifications for channels that leave the portal (e-mail): written in the
 * transaction that opens or resolves the alert, sent afterwards (never inside a transaction), retried.
 */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: id(),
    alertId: uuid("alert_id").notNull(),
    channel: text("channel").notNull(),
    /** "opened", "escalated" or "resolved". */
    transition: text("transition").notNull(),
    userId: uuid("user_id"),
    recipient: text("recipient").notNull(),
    /** The message as it was when the alert changed (the alert may change again before it is sent). */
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    status: alertDeliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("alert_deliveries_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index("alert_deliveries_alert_idx").on(t.alertId),
  ],
);
