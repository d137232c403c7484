import { index, jsonb, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

export const eventLevel = pgEnum("event_level", ["info", "warn", "error"]);

/**
 * The audit trail: who did what to which object. Written in the same transaction as the change.
 * domainPath is copied so resellers can list their subtree's events with one prefix match.
 */
export const events = pgTable(
  "events",
  {
    id: id(),
    type: text("type").notNull(),
    level: eventLevel("level").notNull().default("info"),
    description: text("description").notNull(),
    actorUserId: uuid("actor_user_id"),
    accountId: uuid("account_id"),
    domainId: uuid("domain_id"),
    domainPath: text("domain_path"),
    resourceType: text("resource_type"),
    resourceId: uuid("resource_id"),
    details: jsonb("details"),
    /**
     * The host an event's text names (a VM's host), kept apart so the text can be shown without it
     * to tenants and resellers: hosts are infrastructure, only the root admin sees them.
     */
    hostName: text("host_name"),
    createdAt: createdAt(),
  },
  (t) => [
    index("events_account_created_idx").on(t.accountId, t.createdAt),
    index("events_domain_path_idx").on(t.domainPath),
    index("events_created_idx").on(t.createdAt),
    index("events_resource_idx").on(t.resourceId),
  ],
);
