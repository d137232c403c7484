import {
  bigserial,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt, id, updatedAt } from "./columns";
import { domains } from "./domains";
import { accounts } from "./accounts";
import { hosts, zones } from "./infrastructure";
import { instances } from "./instances";
import { offeringState } from "./offerings";
import { networkGuestTypes, networkServices, networkStates } from "../../lib/validation/networks";

export const networkGuestType = pgEnum("network_guest_type", networkGuestTypes);
export const networkState = pgEnum("network_state", networkStates);
export const egressDefault = pgEnum("egress_default", ["allow", "deny"]);

/** Network offerings: scoped like compute and disk offerings (domainId NULL = public). */
export const networkOfferings = pgTable(
  "network_offerings",
  {
    id: id(),
    name: text("name").notNull(),
    displayText: text("display_text"),
    guestType: networkGuestType("guest_type").notNull(),
    services: text("services").array().$type<(typeof networkServices)[number][]>().notNull().default([]),
    egressDefault: egressDefault("egress_default").notNull().default("allow"),
    rateLimitMbps: integer("rate_limit_mbps"),
    /** The offering of the network a first deploy creates for an account (one at most). */
    isDefault: boolean("is_default").notNull().default(false),
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    state: offeringState("state").notNull().default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("network_offerings_scope_name_unique").on(t.domainId, t.name).nullsNotDistinct(),
    uniqueIndex("network_offerings_one_default")
      .on(t.isDefault)
      .where(sql`${t.isDefault}`),
  ],
);

/** A zone's guest VLAN ranges (inclusive); networks take ids from them. */
export const zoneVlanRanges = pgTable(
  "zone_vlan_ranges",
  {
    id: id(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "cascade" }),
    startId: integer("start_id").notNull(),
    endId: integer("end_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("zone_vlan_ranges_zone_idx").on(t.zoneId)],
);

/** A zone's network settings (one row per zone, made on first write; absent = defaults). */
export const zoneNetworkSettings = pgTable("zone_network_settings", {
  zoneId: uuid("zone_id")
    .primaryKey()
    .references(() => zones.id, { onDelete: "cascade" }),
  /** The CIDR a new isolated network gets unless its owner picks one (CloudStack's guest.network.cidr). */
  guestCidr: text("guest_cidr").notNull().default("10.1.1.0/24"),
  /** Traffic labels: host interfaces NetworkSpec.uplinks names. */
  publicBridge: text("public_bridge"),
  guestUplink: text("guest_uplink"),
  updatedAt: updatedAt(),
});

export const networks = pgTable(
  "networks",
  {
    id: id(),
    /** Global sequence: the driver-side key is its base 36 (never a user's string). */
    number: bigserial("number", { mode: "number" }).notNull().unique(),
    name: text("name").notNull(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    domainPath: text("domain_path").notNull(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    networkOfferingId: uuid("network_offering_id")
      .notNull()
      .references(() => networkOfferings.id, { onDelete: "restrict" }),
    cidr: text("cidr"),
    gateway: text("gateway"),
    dnsDomain: text("dns_domain").notNull(),
    /**
     * Shared networks (root admin's; usable by every account of the domain subtree `domainPath`):
     * the guests' address range inside the CIDR, and the address of Stratus's DHCP/DNS-only router
     * (the gateway is a router outside Stratus). Null on isolated and L2 networks.
     */
    ipRangeStart: text("ip_range_start"),
    ipRangeEnd: text("ip_range_end"),
    routerIp: text("router_ip"),
    /** From the zone's ranges; the unique constraint is what keeps two networks off one id. Null: untagged. */
    vlan: integer("vlan"),
    state: networkState("state").notNull().default("allocated"),
    /** The account's default network (made by its first deploy). */
    isDefault: boolean("is_default").notNull().default(false),
    /** The host running the network's router (namespace, DHCP, NAT) once implemented. */
    routerHostId: uuid("router_host_id").references(() => hosts.id, { onDelete: "set null" }),
    stateChangedAt: timestamp("state_changed_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("networks_zone_vlan_unique").on(t.zoneId, t.vlan),
    unique("networks_account_name_unique").on(t.accountId, t.name),
    uniqueIndex("networks_account_default_unique")
      .on(t.accountId, t.zoneId)
      .where(sql`${t.isDefault}`),
    index("networks_account_created_idx").on(t.accountId, t.createdAt, t.id),
    index("networks_domain_path_idx").on(t.domainPath),
  ],
);

/** A VM's NIC on a network: its MAC and the address IPAM gave it (unique per network; free again once the NIC is gone). */
export const nics = pgTable(
  "nics",
  {
    id: id(),
    instanceId: uuid("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "restrict" }),
    deviceId: integer("device_id").notNull(),
    mac: text("mac").notNull().unique(),
    ip: text("ip"),
    /**
     * The NIC's byte counters (guest's view) at the metrics cycle's last sample, and when: the next
     * sample bills the difference as NETWORK.BYTES.SENT/RECEIVED. NULL: never sampled.
     */
    lastTxBytes: bigint("last_tx_bytes", { mode: "number" }),
    lastRxBytes: bigint("last_rx_bytes", { mode: "number" }),
    trafficSampledAt: timestamp("traffic_sampled_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique("nics_network_ip_unique").on(t.networkId, t.ip),
    unique("nics_instance_device_unique").on(t.instanceId, t.deviceId),
    unique("nics_instance_network_unique").on(t.instanceId, t.networkId),
    index("nics_network_idx").on(t.networkId),
    // The highest address of a network in numeric order (IPAM's next address) is one index probe.
    index("nics_network_ip_numeric_idx").on(t.networkId, sql`(${t.ip}::inet)`),
  ],
);

/** The simulator's networks: the spec last applied per host and network (the simulated host's truth). */
export const simulatorNetworks = pgTable(
  "simulator_networks",
  {
    hostId: uuid("host_id").notNull(),
    networkId: uuid("network_id").notNull(),
    key: text("key").notNull(),
    role: text("role").notNull(),
    spec: jsonb("spec").notNull(),
    appliedAt: timestamp("applied_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.networkId] })],
);

/** A zone's public address ranges (inclusive), on the public network behind `gateway`/`prefixLength`. */
export const publicIpRanges = pgTable(
  "public_ip_ranges",
  {
    id: id(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "cascade" }),
    gateway: text("gateway").notNull(),
    prefixLength: integer("prefix_length").notNull(),
    vlan: integer("vlan"),
    startIp: text("start_ip").notNull(),
    endIp: text("end_ip").notNull(),
    /** Dedicated to a domain (CloudStack's dedicatePublicIpRange): only networks of its subtree take its addresses; null: every domain. */
    domainId: uuid("domain_id").references(() => domains.id, { onDelete: "restrict" }),
    createdAt: createdAt(),
  },
  (t) => [index("public_ip_ranges_zone_idx").on(t.zoneId)],
);

/**
 * Public addresses acquired by networks: unique per zone (the constraint is what keeps two networks
 * off one address); the first of a network is its source-NAT address (one per network).
 */
export const publicIps = pgTable(
  "public_ips",
  {
    id: id(),
    zoneId: uuid("zone_id")
      .notNull()
      .references(() => zones.id, { onDelete: "restrict" }),
    rangeId: uuid("range_id")
      .notNull()
      .references(() => publicIpRanges.id, { onDelete: "restrict" }),
    address: text("address").notNull(),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "restrict" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "restrict" }),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "restrict" }),
    domainPath: text("domain_path").notNull(),
    isSourceNat: boolean("is_source_nat").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique("public_ips_zone_address_unique").on(t.zoneId, t.address),
    uniqueIndex("public_ips_one_source_nat")
      .on(t.networkId)
      .where(sql`${t.isSourceNat}`),
    index("public_ips_network_idx").on(t.networkId),
  ],
);
