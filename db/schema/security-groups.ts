import { integer, index, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt, id, updatedAt } from "./columns";
import { ownerColumns } from "./owner-columns";
import { nics } from "./networks";
import { securityGroupDirections, securityGroupProtocols } from "../../lib/validation/security-groups";

export const securityGroupDirection = pgEnum("security_group_direction", securityGroupDirections);
export const securityGroupProtocol = pgEnum("security_group_protocol", securityGroupProtocols);

/** An account's security groups (CloudStack's): filter NICs on shared networks. One "default" per account. */
export const securityGroups = pgTable(
  "security_groups",
  {
    id: id(),
    ...ownerColumns(),
    name: text("name").notNull(),
    description: text("description"),
    isDefault: integer("is_default").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("security_groups_account_name_unique").on(t.accountId, t.name),
    // The constraint is what keeps two first uses from making two default groups.
    uniqueIndex("security_groups_one_default")
      .on(t.accountId)
      .where(sql`${t.isDefault} = 1`),
    index("security_groups_domain_path_idx").on(t.domainPath),
  ],
);

/** A rule: what the group's members accept (ingress) or may send (egress), from/to a CIDR or another group's members. */
export const securityGroupRules = pgTable(
  "security_group_rules",
  {
    id: id(),
    securityGroupId: uuid("security_group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "cascade" }),
    direction: securityGroupDirection("direction").notNull(),
    protocol: securityGroupProtocol("protocol").notNull(),
    startPort: integer("start_port"),
    endPort: integer("end_port"),
    cidr: text("cidr"),
    /** A group of the same account whose members' addresses are the peer (deleting it deletes the rule). */
    peerSecurityGroupId: uuid("peer_security_group_id").references(() => securityGroups.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [index("security_group_rules_group_idx").on(t.securityGroupId), index("security_group_rules_peer_idx").on(t.peerSecurityGroupId)],
);

/** Which groups a NIC (on a shared network) belongs to; a group in use cannot be deleted. */
export const nicSecurityGroups = pgTable(
  "nic_security_groups",
  {
    nicId: uuid("nic_id")
      .notNull()
      .references(() => nics.id, { onDelete: "cascade" }),
    securityGroupId: uuid("security_group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "restrict" }),
  },
  (t) => [primaryKey({ columns: [t.nicId, t.securityGroupId] }), index("nic_security_groups_group_idx").on(t.securityGroupId)],
);

/** The simulator's security groups: the VM firewall spec last applied per host and VM. */
export const simulatorSecurityGroups = pgTable(
  "simulator_security_groups",
  {
    hostId: uuid("host_id").notNull(),
    vmName: text("vm_name").notNull(),
    spec: jsonb("spec").notNull(),
    appliedAt: timestamp("applied_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.vmName] })],
);
