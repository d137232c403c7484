import { sql } from "drizzle-orm";
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { domains } from "./domains";

export const accountType = pgEnum("account_type", ["user", "domain_admin", "root_admin"]);
/**
 * enabled: normal; disabled: cannot log in, resources stay; locked: cannot log in (admin hold);
 * removing: being deleted by its account.cleanup job (no sign-in, nothing new); removed: deleted.
 * A removed account's row stays (usage facts, events and expunged instances name it) but its name
 * is free for a new account.
 */
export const accountState = pgEnum("account_state", ["enabled", "disabled", "locked", "removing", "removed"]);

export const accounts = pgTable(
  "accounts",
  {
    id: id(),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    type: accountType("type").notNull(),
    state: accountState("state").notNull().default("enabled"),
    /** Set when the account reached `removed` (kept apart from the enum so indexes need no new enum value). */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Names are unique among the accounts that are not removed: a removed account frees its name.
    uniqueIndex("accounts_domain_name_unique")
      .on(t.domainId, t.name)
      .where(sql`${t.removedAt} is null`),
    index("accounts_domain_idx").on(t.domainId),
  ],
);
