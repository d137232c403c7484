import { sql } from "drizzle-orm";
import { bigint, bigserial, index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { volumeStates, volumeTypes } from "../../lib/volume-state";
import { createdAt, id, updatedAt } from "./columns";
import { ownerColumns } from "./owner-columns";
import { storagePools, zones } from "./infrastructure";
import { diskOfferings } from "./offerings";
import { instances } from "./instances";

export { volumeStates, volumeTypes };
export const volumeType = pgEnum("volume_type", volumeTypes);
export const volumeState = pgEnum("volume_state", volumeStates);

export const volumes = pgTable(
  "volumes",
  {
    id: id(),
    /** Global sequence, used for the hypervisor-side name `vol-<number>` of data volumes: never a user's string. */
    number: bigserial("number", { mode: "number" }).notNull().unique(),
    name: text("name").notNull(),
    type: volumeType("type").notNull(),
    /** Account, domain and domain path (scope filters need no join). */
    ...ownerColumns(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    /** The pool whose used_gib counts this volume; NULL while Allocated (no pool chosen yet) and once expunged. */
    storagePoolId: uuid("storage_pool_id").references(() => storagePools.id, { onDelete: "restrict" }),
    /** DATADISK: the offering it was made from; NULL for ROOT volumes. */
    diskOfferingId: uuid("disk_offering_id").references(() => diskOfferings.id, { onDelete: "restrict" }),
    sizeGib: bigint("size_gib", { mode: "number" }).notNull(),
    /** The VM it is attached to, and the guest device (vda for ROOT, vdb… for data volumes). */
    instanceId: uuid("instance_id").references(() => instances.id, { onDelete: "restrict" }),
    deviceTarget: text("device_target"),
    state: volumeState("state").notNull().default("allocated"),
    destroyedAt: timestamp("destroyed_at", { withTimezone: true }),
    /** When a destroyed volume is expunged (the same expunge delay as VMs). */
    expungeAfter: timestamp("expunge_after", { withTimezone: true }),
    removedAt: timestamp("removed_at", { withTimezone: true }),
    stateChangedAt: timestamp("state_changed_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One device per guest target: two concurrent attaches to one VM cannot both take vdb.
    uniqueIndex("volumes_instance_target_unique")
      .on(t.instanceId, t.deviceTarget)
      .where(sql`${t.instanceId} is not null`),
    index("volumes_account_created_idx").on(t.accountId, t.createdAt, t.id),
    index("volumes_domain_path_idx").on(t.domainPath),
    index("volumes_pool_idx").on(t.storagePoolId),
    index("volumes_state_idx").on(t.state),
    index("volumes_created_idx").on(t.createdAt, t.id),
  ],
);
