import { bigint, bigserial, index, integer, pgTable, real, timestamp, uuid } from "drizzle-orm/pg-core";
import { hosts } from "./infrastructure";
import { instances } from "./instances";

/**
 * Samples of running VMs, one row per VM per collection (server/orchestrator/metrics). Disk and
 * network figures are the hypervisor's cumulative counters; rates are derived when read. Rows
 * older than the retention limit are deleted by the collector.
 */
export const vmMetrics = pgTable(
  "vm_metrics",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    hostId: uuid("host_id").references(() => hosts.id, { onDelete: "set null" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    cpuPercent: real("cpu_percent").notNull(),
    memoryMib: integer("memory_mib").notNull(),
    diskReadBytes: bigint("disk_read_bytes", { mode: "number" }).notNull(),
    diskWriteBytes: bigint("disk_write_bytes", { mode: "number" }).notNull(),
    netRxBytes: bigint("net_rx_bytes", { mode: "number" }).notNull(),
    netTxBytes: bigint("net_tx_bytes", { mode: "number" }).notNull(),
  },
  (t) => [index("vm_metrics_instance_at_idx").on(t.instanceId, t.at), index("vm_metrics_at_idx").on(t.at)],
);

/** Host load per collection: the sum over its running VMs (what the hypervisor reported). */
export const hostMetrics = pgTable(
  "host_metrics",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    hostId: uuid("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    runningVms: integer("running_vms").notNull(),
    /** Sum of VM CPU use in host-core percent (100 = one core busy). */
    cpuPercent: real("cpu_percent").notNull(),
    memoryMib: integer("memory_mib").notNull(),
  },
  (t) => [index("host_metrics_host_at_idx").on(t.hostId, t.at), index("host_metrics_at_idx").on(t.at)],
);
