import { sql } from "drizzle-orm";
import { type AnyPgColumn, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";

/**
 * Domains form a tree under ROOT. `path` is the materialised path of ids ("/<root>/<child>/…/"),
 * so a subtree is `path LIKE '<prefix>%'` and renames never touch it. A deleted domain is marked
 * removed (its removed accounts, their usage facts and events still point at it) and frees its name.
 */
export const domains = pgTable(
  "domains",
  {
    id: id(),
    parentId: uuid("parent_id").references((): AnyPgColumn => domains.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    path: text("path").notNull().unique(),
    level: integer("level").notNull(),
    removedAt: timestamp("removed_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("domains_parent_name_unique")
      .on(t.parentId, t.name)
      .where(sql`${t.removedAt} is null`),
    index("domains_path_idx").on(t.path),
  ],
);
