import { bigint, boolean, integer, pgEnum, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { domains } from "./domains";

export const offeringState = pgEnum("offering_state", ["active", "inactive"]);

/** domainId NULL = public; otherwise visible to that domain's subtree only. Names unique per scope. */
export const computeOfferings = pgTable(
  "compute_offerings",
  {
    id: id(),
    name: text("name").notNull(),
    displayText: text("display_text"),
    cpuCores: integer("cpu_cores").notNull(),
    cpuMhz: integer("cpu_mhz").notNull(),
    memoryMib: integer("memory_mib").notNull(),
    cpuCap: boolean("cpu_cap").notNull().default(false),
    hostTags: text("host_tags").array().notNull().default([]),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    state: offeringState("state").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique("compute_offerings_scope_name_unique").on(t.domainId, t.name).nullsNotDistinct()],
);

/** sizeGib NULL with customSize = the user picks a size between minGib and maxGib. */
export const diskOfferings = pgTable(
  "disk_offerings",
  {
    id: id(),
    name: text("name").notNull(),
    displayText: text("display_text"),
    sizeGib: bigint("size_gib", { mode: "number" }),
    customSize: boolean("custom_size").notNull().default(false),
    minGib: bigint("min_gib", { mode: "number" }),
    maxGib: bigint("max_gib", { mode: "number" }),
    storageTags: text("storage_tags").array().notNull().default([]),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    state: offeringState("state").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique("disk_offerings_scope_name_unique").on(t.domainId, t.name).nullsNotDistinct()],
);
