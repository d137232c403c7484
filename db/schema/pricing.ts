import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, numeric, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { domains } from "./domains";
import { computeOfferings } from "./offerings";

/**
 * Price lists (server/billing/). A list belongs to a domain: the ROOT domain's is the wholesale
 * list; a reseller's is the retail list of its subtree. An account is billed at the list of its
 * nearest ancestor-or-self domain that has one (resolve.ts). A list either has its own tariffs
 * (`own`) or derives every price from the list above it at the same moment (`margin`, a
 * percentage, versioned in `price_list_margins`). Mode and currency are fixed when the list is
 * made (a margin list has its parent's currency: no exchange rates).
 */
export const priceListMode = pgEnum("price_list_mode", ["own", "margin"]);

export const priceLists = pgTable(
  "price_lists",
  {
    id: id(),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    /** ISO 4217 code (EUR, USD…). */
    currency: text("currency").notNull(),
    mode: priceListMode("mode").notNull(),
    /** Whether sub-domains below this list's domain may have their own lists (sub-resellers). */
    allowSubLists: boolean("allow_sub_lists").notNull().default(false),
    /** When the list starts to bill (a whole hour); removal sets `effectiveUntil`, so the past keeps its list. */
    effectiveFrom: timestamp("effective_from", { withTimezone: true }).notNull(),
    effectiveUntil: timestamp("effective_until", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One open list per domain.
    uniqueIndex("price_lists_domain_open_unique")
      .on(t.domainId)
      .where(sql`${t.effectiveUntil} is null`),
    check("price_lists_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/** A margin list's percentage over its parent list, with effective dates (a change closes the old row). */
export const priceListMargins = pgTable(
  "price_list_margins",
  {
    id: id(),
    priceListId: uuid("price_list_id")
      .notNull()
      .references(() => priceLists.id, { onDelete: "cascade" }),
    marginPercent: numeric("margin_percent", { precision: 12, scale: 4 }).notNull(),
    effectiveFrom: timestamp("effective_from", { withTimezone: true }).notNull(),
    effectiveUntil: timestamp("effective_until", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("price_list_margins_list_idx").on(t.priceListId, t.effectiveFrom)],
);

/**
 * What one unit of a usage type costs on an own-prices list:
 * - `hour`: per hour of the resource (a VM, an address, a network; size ignored);
 * - `gib_hour`: per GiB-hour (volumes, snapshots, templates);
 * - `gib`: per GiB (2^30 bytes) transferred (network bytes);
 * - `vcpu_hour`, `gib_ram_hour`: per vCPU-hour or per GiB of RAM-hour of a VM (its offering's cores, memory).
 * Optionally for one compute offering only (it wins over the type's general tariff). A price
 * change closes the current row (`effectiveUntil`) and adds a new one: past prices are never updated.
 */
export const tariffBasis = pgEnum("tariff_basis", ["hour", "gib_hour", "gib", "vcpu_hour", "gib_ram_hour"]);

export const tariffs = pgTable(
  "tariffs",
  {
    id: id(),
    priceListId: uuid("price_list_id")
      .notNull()
      .references(() => priceLists.id, { onDelete: "cascade" }),
    usageType: integer("usage_type").notNull(),
    offeringId: uuid("offering_id").references(() => computeOfferings.id, { onDelete: "restrict" }),
    basis: tariffBasis("basis").notNull(),
    /** Price of one unit of the basis, in the list's currency (major units), exact. */
    unitPrice: numeric("unit_price", { precision: 30, scale: 9 }).notNull(),
    effectiveFrom: timestamp("effective_from", { withTimezone: true }).notNull(),
    effectiveUntil: timestamp("effective_until", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("tariffs_list_type_idx").on(t.priceListId, t.usageType, t.effectiveFrom),
    check("tariffs_price_nonnegative", sql`${t.unitPrice} >= 0`),
    check("tariffs_effective_order", sql`${t.effectiveUntil} is null or ${t.effectiveUntil} > ${t.effectiveFrom}`),
  ],
);

/**
 * The rating's watermark (one row): records aggregated after `ratedThrough` are (re-)rated by
 * the next run, and so are the later periods of every resource with facts of transactions from
 * `foldedXid` on (a late fact can remove records; their charges go too).
 */
export const usageRating = pgTable("usage_rating", {
  id: text("id").primaryKey(),
  ratedThrough: timestamp("rated_through", { withTimezone: true }).notNull(),
  foldedXid: bigint("folded_xid", { mode: "number" }).notNull().default(0),
  lastRunAt: timestamp("last_run_at", { withTimezone: true }).notNull().defaultNow(),
  lastCharges: integer("last_charges").notNull().default(0),
});
