import { bigint, boolean, index, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { hypervisorType, secondaryStores, zones } from "./infrastructure";
import { offeringState } from "./offerings";
import { accounts } from "./accounts";
import { domains } from "./domains";

export const templateFormat = pgEnum("template_format", ["simulator", "qcow2", "raw"]);

/**
 * Images VMs are created from. Public templates (isPublic) are visible to all; others to their
 * owner account only. zoneId NULL = available in every zone.
 */
export const templates = pgTable(
  "templates",
  {
    id: id(),
    name: text("name").notNull(),
    displayText: text("display_text"),
    osType: text("os_type").notNull().default("Other Linux (64-bit)"),
    hypervisorType: hypervisorType("hypervisor_type").notNull(),
    format: templateFormat("format").notNull(),
    sizeGib: bigint("size_gib", { mode: "number" }).notNull(),
    /** Where the image lies on the zone's secondary store (libvirt); a label for the simulator. */
    path: text("path").notNull(),
    isPublic: boolean("is_public").notNull().default(true),
    accountId: uuid("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    zoneId: uuid("zone_id").references(() => zones.id, { onDelete: "restrict" }),
    /** The secondary store holding the image (registered templates); path is then inside it. */
    secondaryStoreId: uuid("secondary_store_id").references(() => secondaryStores.id, { onDelete: "restrict" }),
    state: offeringState("state").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("templates_account_idx").on(t.accountId)],
);
