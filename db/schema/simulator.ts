import { bigint, boolean, doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * The simulator's own truth: which VMs each simulated hypervisor runs. It is the "hypervisor", not
 * Stratus's view: the reconciler compares instances against it. Kept in the database (not process
 * memory) so it survives restarts and is shared by every Stratus process, as a real host would be.
 */
export const simulatorVms = pgTable(
  "simulator_vms",
  {
    hostId: uuid("host_id").notNull(),
    name: text("name").notNull(),
    state: text("state").notNull(),
    cpuCores: integer("cpu_cores").notNull(),
    memoryMib: integer("memory_mib").notNull(),
    /** The most CPU (percent of one vCPU's time) the VM may use: its offering's cap; NULL = uncapped. */
    cpuCapPercent: doublePrecision("cpu_cap_percent"),
    startedAt: timestamp("started_at", { withTimezone: true }),
    /** The image in the VM's CD-ROM (its path on the secondary store), and whether it boots from it. */
    isoPath: text("iso_path"),
    bootFromIso: boolean("boot_from_iso").notNull().default(false),
    /** How many NICs the VM was defined with (its traffic counters in stats). */
    nicCount: integer("nic_count").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.name] })],
);

/** Injected failures: by operation (and host), with a probability, or for the next N calls. */
export const simulatorFaults = pgTable("simulator_faults", {
  id: id(),
  operation: text("operation").notNull(),
  hostId: uuid("host_id"),
  probability: doublePrecision("probability").notNull().default(1),
  /** NULL: until removed; N: the next N matching calls, then gone. */
  remaining: integer("remaining"),
  transient: boolean("transient").notNull().default(false),
  message: text("message").notNull(),
  createdAt: createdAt(),
});

/** Per-operation latency in ms, one row (id "default"). */
export const simulatorSettings = pgTable("simulator_settings", {
  id: text("id").primaryKey(),
  latencyMs: jsonb("latency_ms").$type<Record<string, number>>().notNull().default({}),
});

/**
 * The simulator's volumes: what each simulated primary pool holds, and which simulated VM (on which
 * host) has a volume plugged in at which target. Like simulator_vms, the hypervisor's truth.
 */
export const simulatorVolumes = pgTable(
  "simulator_volumes",
  {
    poolId: uuid("pool_id").notNull(),
    name: text("name").notNull(),
    capacityBytes: bigint("capacity_bytes", { mode: "number" }).notNull(),
    allocationBytes: bigint("allocation_bytes", { mode: "number" }).notNull().default(0),
    /** The simulated VM (host and name) the volume is attached to, and its device target. */
    attachedHostId: uuid("attached_host_id"),
    attachedVm: text("attached_vm"),
    target: text("target"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.poolId, t.name] })],
);

/** The simulator's volume snapshots: a frozen copy of a simulated volume's sizes, restorable onto it. */
export const simulatorSnapshots = pgTable("simulator_snapshots", {
  id: text("id").primaryKey(),
  poolId: uuid("pool_id").notNull(),
  volumeName: text("volume_name").notNull(),
  capacityBytes: bigint("capacity_bytes", { mode: "number" }).notNull(),
  allocationBytes: bigint("allocation_bytes", { mode: "number" }).notNull(),
  createdAt: createdAt(),
});

/** The simulator's VM snapshots: what a simulated hypervisor keeps beside a VM (the VM's state when taken, for a revert). */
export const simulatorVmSnapshots = pgTable(
  "simulator_vm_snapshots",
  {
    hostId: uuid("host_id").notNull(),
    vmName: text("vm_name").notNull(),
    name: text("name").notNull(),
    memory: boolean("memory").notNull(),
    /** The simulated VM's state when taken ("running" with memory, else "stopped"); a revert restores it. */
    vmState: text("vm_state").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    /** The VM's volumes' allocations when taken, put back by a revert. */
    volumes: jsonb("volumes").$type<{ poolId: string; name: string; allocationBytes: number }[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.vmName, t.name] })],
);
