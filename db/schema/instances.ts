import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { ownerColumns } from "./owner-columns";
import { hosts, zones } from "./infrastructure";
import { computeOfferings } from "./offerings";
import { templates } from "./templates";
/** The states and the moves between them live in lib/vm-state.ts (shared with the browser). */
import { vmStates } from "../../lib/vm-state";

export const vmState = pgEnum("vm_state", vmStates);

export const instances = pgTable(
  "instances",
  {
    id: id(),
    /** Global sequence, used for the hypervisor-side name `i-<number>`: never a user's string. */
    number: bigserial("number", { mode: "number" }).notNull().unique(),
    name: text("name").notNull(),
    /** Account, domain and domain path (scope filters need no join). */
    ...ownerColumns(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    hostId: uuid("host_id").references(() => hosts.id, { onDelete: "restrict" }),
    lastHostId: uuid("last_host_id").references(() => hosts.id, { onDelete: "set null" }),
    computeOfferingId: uuid("compute_offering_id")
      .notNull()
      .references(() => computeOfferings.id, { onDelete: "restrict" }),
    templateId: uuid("template_id")
      .notNull()
      .references(() => templates.id, { onDelete: "restrict" }),
    state: vmState("state").notNull().default("allocated"),
    /** The ISO (a template of format iso) in the VM's CD-ROM; NULL = empty. */
    isoId: uuid("iso_id").references(() => templates.id, { onDelete: "set null" }),
    /** Boot from the CD-ROM first (from the next start) while an ISO is in it. */
    bootFromIso: boolean("boot_from_iso").notNull().default(false),
    cpuCores: integer("cpu_cores").notNull(),
    cpuMhz: integer("cpu_mhz").notNull(),
    memoryMib: integer("memory_mib").notNull(),
    /** True while hostId's capacity counters include this VM (released on stop or destroy). */
    capacityReserved: boolean("capacity_reserved").notNull().default(false),
    /** Unused: addresses live on the VM's NICs (`nics`); the instance queries read the default NIC's. */
    ipAddress: text("ip_address"),
    destroyedAt: timestamp("destroyed_at", { withTimezone: true }),
    /** When a destroyed VM is expunged (CloudStack's expunge delay). */
    expungeAfter: timestamp("expunge_after", { withTimezone: true }),
    stateChangedAt: timestamp("state_changed_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("instances_account_name_unique")
      .on(t.accountId, t.name)
      .where(sql`${t.state} <> 'expunged'`),
    // Lists page newest first with id as tie-breaker: both in the index, so a first page reads
    // 20 index entries whatever the population.
    index("instances_account_created_idx").on(t.accountId, t.createdAt, t.id),
    index("instances_domain_path_idx").on(t.domainPath),
    index("instances_host_idx").on(t.hostId),
    index("instances_state_idx").on(t.state),
    index("instances_created_idx").on(t.createdAt, t.id),
  ],
);
