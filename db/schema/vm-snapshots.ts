import { bigint, boolean, index, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { vmSnapshotStates, vmSnapshotTypes } from "../../lib/vm-snapshot-state";
import { createdAt, id, updatedAt } from "./columns";
import { accounts } from "./accounts";
import { domains } from "./domains";
import { zones } from "./infrastructure";
import { instances } from "./instances";

export const vmSnapshotState = pgEnum("vm_snapshot_state", vmSnapshotStates);
export const vmSnapshotType = pgEnum("vm_snapshot_type", vmSnapshotTypes);

/**
 * VM snapshots (issue 10): disks, and memory for disk_and_memory, kept by the hypervisor with the
 * VM (libvirt: internal qcow2 snapshots named `vmsnap-<id>`). A tree as in CloudStack: `parentId` is
 * the snapshot that was current when this one was taken; one `current` per VM (the last taken or
 * reverted to).
 */
export const vmSnapshots = pgTable(
  "vm_snapshots",
  {
    id: id(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "restrict" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    /** Copied from the VM so scope filters need no join. */
    domainPath: text("domain_path").notNull(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    description: text("description"),
    type: vmSnapshotType("type").notNull(),
    state: vmSnapshotState("state").notNull().default("creating"),
    parentId: uuid("parent_id"),
    current: boolean("current").notNull().default(false),
    /** Primary storage the snapshot took when taken (memory state and metadata); null until Ready. */
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("vm_snapshots_instance_idx").on(t.instanceId, t.createdAt),
    index("vm_snapshots_account_idx").on(t.accountId),
    index("vm_snapshots_domain_path_idx").on(t.domainPath),
  ],
);
