import { bigint, boolean, index, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { snapshotStates } from "../../lib/snapshot-state";
import { createdAt, id, updatedAt } from "./columns";
import { accounts } from "./accounts";
import { domains } from "./domains";
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
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    /** Copied from the volume so scope filters need no join. */
    domainPath: text("domain_path").notNull(),
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
