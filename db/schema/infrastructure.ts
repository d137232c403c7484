import { bigint, boolean, index, integer, numeric, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";

export const hypervisorType = pgEnum("hypervisor_type", ["simulator", "kvm"]);
export const allocationState = pgEnum("allocation_state", ["enabled", "disabled"]);
export const hostState = pgEnum("host_state", ["enabled", "disabled", "maintenance"]);
/** Connection status, set by the reconciler from the host's answers (up, then disconnected, then down); independent of the admin state. */
export const hostStatus = pgEnum("host_status", ["up", "disconnected", "down"]);
export const allocationAlgorithm = pgEnum("allocation_algorithm", ["first_fit", "random", "user_dispersing"]);
export const storagePoolType = pgEnum("storage_pool_type", ["simulator", "local_dir"]);
/** libvirt domain type: kvm (hardware acceleration) or qemu (TCG emulation). */
export const libvirtDomainType = pgEnum("libvirt_domain_type", ["kvm", "qemu"]);

export const zones = pgTable("zones", {
  id: id(),
  name: text("name").notNull().unique(),
  description: text("description"),
  state: allocationState("state").notNull().default("enabled"),
  allocationAlgorithm: allocationAlgorithm("allocation_algorithm").notNull().default("first_fit"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const pods = pgTable(
  "pods",
  {
    id: id(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    state: allocationState("state").notNull().default("enabled"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("pods_zone_idx").on(t.zoneId)],
);

export const clusters = pgTable(
  "clusters",
  {
    id: id(),
    podId: uuid("pod_id")
      .notNull()
      .references(() => pods.id, { onDelete: "restrict" }),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    name: text("name").notNull(),
    hypervisorType: hypervisorType("hypervisor_type").notNull(),
    cpuOvercommit: numeric("cpu_overcommit", { precision: 6, scale: 2, mode: "number" }).notNull().default(1),
    memoryOvercommit: numeric("memory_overcommit", { precision: 6, scale: 2, mode: "number" }).notNull().default(1),
    state: allocationState("state").notNull().default("enabled"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("clusters_pod_idx").on(t.podId)],
);

export const hosts = pgTable(
  "hosts",
  {
    id: id(),
    clusterId: uuid("cluster_id")
      .notNull()
      .references(() => clusters.id, { onDelete: "restrict" }),
    podId: uuid("pod_id")
      .notNull()
      .references(() => pods.id, { onDelete: "restrict" }),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    name: text("name").notNull().unique(),
    hypervisorType: hypervisorType("hypervisor_type").notNull(),
    /** Where the driver reaches the host: a libvirt URI for KVM, a label for the simulator. */
    address: text("address").notNull(),
    cpuCores: integer("cpu_cores").notNull(),
    cpuMhz: integer("cpu_mhz").notNull(),
    memoryMib: bigint("memory_mib", { mode: "number" }).notNull(),
    tags: text("tags").array().notNull().default([]),
    state: hostState("state").notNull().default("enabled"),
    status: hostStatus("status").notNull().default("up"),
    /** Capacity reserved by placed VMs; the planner reserves with a conditional update. */
    cpuUsedMhz: bigint("cpu_used_mhz", { mode: "number" }).notNull().default(0),
    memoryUsedMib: bigint("memory_used_mib", { mode: "number" }).notNull().default(0),
    /** Last time the reconciler heard from the host's driver. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    /** The orchestrator process (orchestrator_nodes.id) that reconciles and samples the host (CloudStack's mgmt_server_id). */
    managedBy: text("managed_by"),
    /** Facts read from the hypervisor when the host is added (KVM: libvirt's capabilities). */
    cpuModel: text("cpu_model"),
    hypervisorVersion: text("hypervisor_version"),
    libvirtVersion: text("libvirt_version"),
    /** Whether KVM acceleration works there (probed); null when unknown (simulator). */
    kvmAccelerated: boolean("kvm_accelerated"),
    /** Admin override of the libvirt domain type; null = kvm when accelerated, else qemu. */
    domainType: libvirtDomainType("domain_type"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("hosts_cluster_idx").on(t.clusterId),
    // The zone's hosts in name order: first-fit placement reads the first feasible ones from it
    // (an index scan that stops after one round), so its cost does not grow with the zone.
    index("hosts_zone_name_idx").on(t.zoneId, t.name),
  ],
);

export const storagePools = pgTable(
  "storage_pools",
  {
    id: id(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    /** NULL means zone-wide. */
    clusterId: uuid("cluster_id").references(() => clusters.id, { onDelete: "restrict" }),
    name: text("name").notNull().unique(),
    type: storagePoolType("type").notNull(),
    path: text("path").notNull(),
    capacityGib: bigint("capacity_gib", { mode: "number" }).notNull(),
    /** GiB allocated to volumes on this pool (the sum of their sizes), kept with every volume change. */
    usedGib: bigint("used_gib", { mode: "number" }).notNull().default(0),
    /** Thin provisioning: volumes may be allocated up to capacity × this factor (CloudStack's storage.overprovisioning.factor). */
    overprovisioning: numeric("overprovisioning", { precision: 6, scale: 2, mode: "number" }).notNull().default(1),
    /**
     * Bytes the pool's volumes really take on disk (libvirt: the allocation of every volume of the
     * pool, templates' copies included), measured by the metrics cycle or on demand; NULL until then.
     */
    actualBytes: bigint("actual_bytes", { mode: "number" }),
    actualBytesAt: timestamp("actual_bytes_at", { withTimezone: true }),
    tags: text("tags").array().notNull().default([]),
    state: hostState("state").notNull().default("enabled"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("storage_pools_zone_idx").on(t.zoneId)],
);

export const secondaryStores = pgTable("secondary_stores", {
  id: id(),
  zoneId: uuid("zone_id")
    .notNull()
    .references(() => zones.id, { onDelete: "restrict" }),
  name: text("name").notNull().unique(),
  path: text("path").notNull(),
  capacityGib: bigint("capacity_gib", { mode: "number" }).notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
