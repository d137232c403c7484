import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

/**
 * API keys for the CloudStack-compatible API (/client/api). A user may hold several, each named.
 * CloudStack signs requests with HMAC-SHA1 keyed by the secret, so the server must know the
 * secret itself, not a hash of it: it is stored encrypted (AES-256-GCM) with a server key
 * (server/auth/api-key-crypto.ts). Revoked keys keep their row (revokedAt) for the audit trail.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The public half, sent with every request as `apiKey`. */
    apiKey: text("api_key").notNull().unique(),
    /** base64url(iv ‖ tag ‖ AES-256-GCM(secret)). */
    secretEncrypted: text("secret_encrypted").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("api_keys_user_idx")
      .on(t.userId)
      .where(sql`${t.revokedAt} is null`),
  ],
);

/** Requests per key per fixed one-minute window (shared by every portal process). */
export const apiRateWindows = pgTable("api_rate_windows", {
  apiKeyId: uuid("api_key_id")
    .primaryKey()
    .references(() => apiKeys.id, { onDelete: "cascade" }),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  count: integer("count").notNull(),
});

/**
 * Signatures of state-changing API requests already served, as SHA-256 hashes, each kept while
 * its request could still be replayed (server/cloudstack/replay.ts).
 */
export const apiSeenSignatures = pgTable(
  "api_seen_signatures",
  {
    hash: text("hash").primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("api_seen_signatures_expires_idx").on(t.expiresAt)],
);
