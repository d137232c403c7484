import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { hypervisorType, secondaryStores, zones } from "./infrastructure";
import { offeringState } from "./offerings";
import { accounts } from "./accounts";
import { domains } from "./domains";

export const templateFormat = pgEnum("template_format", ["simulator", "qcow2", "raw", "iso"]);

/** Where a template's image is: being fetched or uploaded, on the store, or failed (with the reason). */
export const templateStatus = pgEnum("template_status", ["downloading", "uploading", "ready", "error"]);

/**
 * Images VMs are created from (and ISOs, format "iso"). Who sees one: its owner account (and the
 * resellers above it, through domainPath), the accounts and domain subtrees it is shared with
 * (template_shares), everyone when public; server/authz/scopes.ts's templateScope is the rule.
 * zoneId NULL = available in every zone. Admin-registered templates have no owner account.
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
    /** Shown first to everyone (CloudStack's featured templates); set by admins, implies public. */
    isFeatured: boolean("is_featured").notNull().default(false),
    /** Copy of the owner's domain path (resellers see their subtree's templates), like instances. */
    domainPath: text("domain_path"),
    accountId: uuid("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    zoneId: uuid("zone_id").references(() => zones.id, { onDelete: "restrict" }),
    /** The secondary store holding the image (registered templates); path is then inside it. */
    secondaryStoreId: uuid("secondary_store_id").references(() => secondaryStores.id, { onDelete: "restrict" }),
    state: offeringState("state").notNull().default("active"),
    status: templateStatus("status").notNull().default("ready"),
    /** Percent of a download or upload done. */
    progress: integer("progress").notNull().default(100),
    /** Why the template is in Error (a checksum mismatch, an address not allowed, …). */
    errorMessage: text("error_message"),
    /** Where a URL-registered image came from, and the checksum it had to match ("sha256:…"). */
    url: text("url"),
    checksum: text("checksum"),
    /** Bytes the image takes on the secondary store; whole GiB of it count against the owner's secondary storage limit. */
    storedBytes: bigint("stored_bytes", { mode: "number" }).notNull().default(0),
    /** An upload's announced size (its chunks are checked against it). */
    expectedBytes: bigint("expected_bytes", { mode: "number" }),
    /** The format the owner said the image is (raw is stored as qcow2). */
    claimedFormat: templateFormat("claimed_format"),
    storedGib: integer("stored_gib").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("templates_account_idx").on(t.accountId), index("templates_domain_path_idx").on(t.domainPath)],
);

/**
 * A template shared with one account (accountId) or with a domain's whole subtree (domainId, with
 * a copy of its path so "the caller's domain is in the subtree" is one prefix match).
 */
export const templateShares = pgTable(
  "template_shares",
  {
    id: id(),
    templateId: uuid("template_id")
      .notNull()
      .references(() => templates.id, { onDelete: "cascade" }),
    accountId: uuid("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "cascade" }),
    domainPath: text("domain_path"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("template_shares_account_idx")
      .on(t.templateId, t.accountId)
      .where(sql`${t.accountId} is not null`),
    uniqueIndex("template_shares_domain_idx")
      .on(t.templateId, t.domainId)
      .where(sql`${t.domainId} is not null`),
    index("template_shares_target_account_idx").on(t.accountId),
    check("template_shares_one_target", sql`(${t.accountId} is null) <> (${t.domainId} is null)`),
    check("template_shares_domain_path", sql`(${t.domainId} is null) = (${t.domainPath} is null)`),
  ],
);

/** Where a template's copy in another zone stands. */
export const templateCopyStatus = pgEnum("template_copy_status", ["copying", "ready", "error"]);

/**
 * A template's image copied to another zone's secondary store (CloudStack's copyTemplate and its
 * template_store_ref): the template is usable in that zone once the copy is Ready. Its stored GiB
 * count against the owner's secondary storage limit like the original's.
 */
export const templateZoneCopies = pgTable(
  "template_zone_copies",
  {
    id: id(),
    templateId: uuid("template_id")
      .notNull()
      .references(() => templates.id, { onDelete: "cascade" }),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    secondaryStoreId: uuid("secondary_store_id")
      .notNull()
      .references(() => secondaryStores.id, { onDelete: "restrict" }),
    /** The image's file on that store (set when Ready). */
    path: text("path").notNull().default(""),
    status: templateCopyStatus("status").notNull().default("copying"),
    progress: integer("progress").notNull().default(0),
    errorMessage: text("error_message"),
    storedBytes: bigint("stored_bytes", { mode: "number" }).notNull().default(0),
    /** Counted against the owner's secondary storage limit from the request until deleted (or failed). */
    storedGib: integer("stored_gib").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("template_zone_copies_zone_idx").on(t.templateId, t.zoneId), index("template_zone_copies_zone_id_idx").on(t.zoneId)],
);
