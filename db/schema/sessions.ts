import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { users } from "./users";

/**
 * One row per sign-in. The session JWT names the row (`sid`); every request checks it (not
 * ended, not idle too long, not older than the absolute lifetime, the user's session version
 * unchanged), so sign-out and "sign out other sessions" take effect in every process at once.
 */
export const sessions = pgTable(
  "sessions",
  {
    /** Random, 128 bits; also the JWT's `sid` claim. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** users.session_version at sign-in: an admin's reset or a disable bumps it and ends the row. */
    sessionVersion: integer("session_version").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Updated at most once a minute, so a busy session costs no write per request. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    ip: text("ip").notNull(),
    userAgent: text("user_agent").notNull().default(""),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** signed_out | ended_by_user | password_changed */
    endedReason: text("ended_reason"),
    /**
     * SHA-256 (hex) of the session key of a CloudStack API login (/client/api command=login): the
     * key travels with each request beside the session cookie and is never stored itself. Null for
     * portal sign-ins, which the CloudStack API does not accept.
     */
    cloudstackKeyHash: text("cloudstack_key_hash"),
  },
  (t) => [
    index("sessions_user_active_idx")
      .on(t.userId)
      .where(sql`${t.endedAt} is null`),
    index("sessions_last_seen_idx").on(t.lastSeenAt),
  ],
);

/**
 * Login throttle counters, shared by every portal process: fixed windows keyed by
 * `pair:<username>|<address>`, `addr:<address>` and `user:<username>`.
 */
export const loginThrottle = pgTable(
  "login_throttle",
  {
    key: text("key").primaryKey(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [index("login_throttle_window_idx").on(t.windowStart)],
);

/**
 * Console tickets: only a SHA-256 of the ticket is stored; redeeming deletes the row (single use
 * across processes), and the binding is then checked against what the connection presents.
 */
export const consoleTickets = pgTable(
  "console_tickets",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id").notNull(),
    sessionVersion: integer("session_version").notNull(),
    instanceId: uuid("instance_id").notNull(),
    /** Set for a ticket asked for with an API key (createConsoleEndpoint): it needs no sign-in, only that key still live. */
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("console_tickets_expires_idx").on(t.expiresAt)],
);
