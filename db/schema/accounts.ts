import { relations } from "drizzle-orm";
import { index, pgEnum, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { domains } from "./domains";
import { users } from "./users";

export const accountType = pgEnum("account_type", ["user", "domain_admin", "root_admin"]);
/** enabled: normal; disabled: cannot log in, resources stay; locked: cannot log in (admin hold). */
export const accountState = pgEnum("account_state", ["enabled", "disabled", "locked"]);

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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique("accounts_domain_name_unique").on(t.domainId, t.name), index("accounts_domain_idx").on(t.domainId)],
);

export const accountsRelations = relations(accounts, ({ one, many }) => ({
  domain: one(domains, { fields: [accounts.domainId], references: [domains.id] }),
  users: many(users),
}));
