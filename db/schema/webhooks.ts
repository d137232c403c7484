import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * Webhook subscriptions: a domain's (its whole subtree's events) or one account's. The secret
 * signs every delivery (HMAC-SHA256); it is shown once, when made.
 */
export const webhookSubscriptions = pgTable(
  "webhook_subscriptions",
  {
    id: id(),
    domainId: uuid("domain_id").notNull(),
    domainPath: text("domain_path").notNull(),
    /** Null: every account of the domain's subtree. */
    accountId: uuid("account_id"),
    name: text("name").notNull(),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** Event types delivered ("*": all). */
    eventTypes: text("event_types").array().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by"),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_subscriptions_path_idx").on(t.domainPath), index("webhook_subscriptions_account_idx").on(t.accountId)],
);

export const webhookDeliveryStatus = pgEnum("webhook_delivery_status", ["pending", "succeeded", "failed"]);

/**
 * One event to one subscription: written in the transaction of the event (queueWebhook), sent by
 * a durable webhook.deliver job with retries and exponential backoff. The row is the delivery log.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    subscriptionId: uuid("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    /** The event's account and domain path (scope of the log). */
    accountId: uuid("account_id"),
    domainPath: text("domain_path").notNull(),
    event: text("event").notNull(),
    payload: jsonb("payload").notNull(),
    status: webhookDeliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).defaultNow(),
    responseCode: integer("response_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.createdAt),
    index("webhook_deliveries_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);
