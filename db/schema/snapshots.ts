import { bigint, boolean, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { snapshotFrequencies, type Weekday } from "../../lib/snapshot-schedule";
import { snapshotStates } from "../../lib/snapshot-state";
import { createdAt, id, updatedAt } from "./columns";
import { ownerColumns } from "./owner-columns";
import { zones } from "./infrastructure";
import { volumes } from "./volumes";

export { snapshotStates };
export const snapshotState = pgEnum("snapshot_state", snapshotStates);

/** Volume snapshots (issue 10): one row per snapshot, its file on the secondary store as the driver reported it. */
export const snapshots = pgTable(
  "snapshots",
  {
    id: id(),
    name: text("name").notNull(),
    volumeId: uuid("volume_id")
      .notNull()
      .references(() => volumes.id, { onDelete: "restrict" }),
    /** Account, domain and domain path (scope filters need no join). */
    ...ownerColumns(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    state: snapshotState("state").notNull().default("creating"),
    /** Bytes the snapshot takes on the secondary store (null until Ready). */
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    /** The volume's size when it was taken. */
    capacityBytes: bigint("capacity_bytes", { mode: "number" }),
    /** The driver's file on the secondary store, and the file of the snapshot it is an increment on. */
    file: text("file"),
    parentFile: text("parent_file"),
    /** The snapshot this one is an increment on; null for a full one. */
    parentId: uuid("parent_id"),
    full: boolean("full").notNull().default(true),
    /**
     * Whole GiB this snapshot holds against its owner's `secondary_storage_gib`: the volume's size
     * while it is taken (CloudStack's check), its stored bytes rounded up once Ready, 0 once gone.
     */
    countedGib: integer("counted_gib").notNull().default(0),
    /** The recurring policy that made it (retention counts these); null when taken by hand. */
    policyId: uuid("policy_id"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("snapshots_volume_created_idx").on(t.volumeId, t.createdAt),
    index("snapshots_account_idx").on(t.accountId),
    index("snapshots_domain_path_idx").on(t.domainPath),
    index("snapshots_policy_idx").on(t.policyId),
  ],
);

export const snapshotFrequency = pgEnum("snapshot_frequency", snapshotFrequencies);

/** Recurring snapshot policies of a volume (one per frequency, as in CloudStack), in the policy's time zone. */
export const snapshotPolicies = pgTable(
  "snapshot_policies",
  {
    id: id(),
    volumeId: uuid("volume_id")
      .notNull()
      .references(() => volumes.id, { onDelete: "cascade" }),
    frequency: snapshotFrequency("frequency").notNull(),
    minute: integer("minute").notNull(),
    hour: integer("hour"),
    weekday: integer("weekday").$type<Weekday>(),
    dayOfMonth: integer("day_of_month"),
    timeZone: text("time_zone").notNull(),
    /** Keep the newest this many Ready snapshots made by this policy; older ones are deleted. */
    retention: integer("retention").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("snapshot_policies_volume_frequency_unique").on(t.volumeId, t.frequency)],
);

/** One row per policy and due time: the key that makes a due snapshot start once, however many processes sweep. */
export const snapshotPolicyRuns = pgTable(
  "snapshot_policy_runs",
  {
    policyId: uuid("policy_id")
      .notNull()
      .references(() => snapshotPolicies.id, { onDelete: "cascade" }),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    snapshotId: uuid("snapshot_id"),
    /** Why no snapshot was started (a limit reached, the volume busy…). */
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.dueAt] })],
);
