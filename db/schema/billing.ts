import { index, integer, numeric, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Charges: what an account is billed for one usage record, at the price list of its nearest
 * domain that has one (the rating in server/billing/). One row per usage record (same key), so
 * re-rating a period replaces its rows and changes nothing twice. Money is exact: `amount` is
 * numeric in the list's currency (major units, 9 decimals kept); statements round to minor units
 * only when they print. Balances, statements and the low-balance policy read this table.
 */
export const charges = pgTable(
  "charges",
  {
    accountId: uuid("account_id").notNull(),
    domainId: uuid("domain_id").notNull(),
    /** The account's domain path when rated, for the scope condition (reseller = path prefix). */
    domainPath: text("domain_path").notNull(),
    usageType: integer("usage_type").notNull(),
    resourceId: uuid("resource_id").notNull(),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    dimensionsKey: uuid("dimensions_key").notNull(),
    /** The price list (and its tariff) that priced this line. */
    priceListId: uuid("price_list_id").notNull(),
    tariffId: uuid("tariff_id"),
    /** ISO 4217 code of the price list. */
    currency: text("currency").notNull(),
    amount: numeric("amount", { precision: 30, scale: 9 }).notNull(),
    ratedAt: timestamp("rated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.usageType, t.resourceId, t.periodStart, t.dimensionsKey] }),
    index("charges_account_period_idx").on(t.accountId, t.periodStart),
    index("charges_domain_path_idx").on(t.domainPath, t.periodStart),
  ],
);
