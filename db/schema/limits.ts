import { bigint, check, pgEnum, pgTable, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { id, updatedAt } from "./columns";
import { resourceTypes } from "../../lib/resource-types";
import { accounts } from "./accounts";
import { domains } from "./domains";

export { resourceTypes };
export const resourceType = pgEnum("resource_type", resourceTypes);

/**
 * One row per (owner, resource type): the owner's limit (NULL = unlimited) and its current use.
 * An account's use is also counted on every ancestor domain's row, so a consume is a conditional
 * update of the account row and each ancestor row (see server/core/limits.ts).
 */
export const resourceCounters = pgTable(
  "resource_counters",
  {
    id: id(),
    accountId: uuid("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "cascade" }),
    resourceType: resourceType("resource_type").notNull(),
    max: bigint("max", { mode: "number" }),
    used: bigint("used", { mode: "number" }).notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("resource_counters_account_idx")
      .on(t.accountId, t.resourceType)
      .where(sql`${t.accountId} is not null`),
    uniqueIndex("resource_counters_domain_idx")
      .on(t.domainId, t.resourceType)
      .where(sql`${t.domainId} is not null`),
    check("resource_counters_one_owner", sql`(${t.accountId} is null) <> (${t.domainId} is null)`),
    check("resource_counters_used_nonnegative", sql`${t.used} >= 0`),
    check("resource_counters_max_nonnegative", sql`${t.max} is null or ${t.max} >= 0`),
  ],
);
