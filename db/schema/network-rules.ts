import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { networks, nics, publicIps } from "./networks";
import { networkRuleKinds } from "../../lib/validation/network-rules";

export const networkRuleKind = pgEnum("network_rule_kind", networkRuleKinds);

/**
 * A network's rules, one table with a kind (they are one list in NetworkSpec.rules, applied whole;
 * one table keeps building, listing and the cascades in one place). Columns a kind does not use are
 * null. The network's account owns them (scope joins networks). A rule goes with its public IP and
 * its NIC (FK cascade as the last resort; the services delete them first to record usage).
 */
export const networkRules = pgTable(
  "network_rules",
  {
    id: id(),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    kind: networkRuleKind("kind").notNull(),
    /** Null for egress rules (they belong to the network). */
    publicIpId: uuid("public_ip_id").references(() => publicIps.id, { onDelete: "cascade" }),
    /** tcp | udp | icmp | all (static NAT: all). */
    protocol: text("protocol").notNull(),
    /** Public ports (port forward, firewall, LB's public port), destination ports (egress). */
    startPort: integer("start_port"),
    endPort: integer("end_port"),
    /** Private ports (port forward; LB's private port). */
    privateStartPort: integer("private_start_port"),
    privateEndPort: integer("private_end_port"),
    /** Source CIDRs (firewall) or destination CIDRs (egress). */
    cidrs: text("cidrs").array().notNull().default([]),
    /** Target NIC (static NAT, port forward) and the address on it. */
    nicId: uuid("nic_id").references(() => nics.id, { onDelete: "cascade" }),
    privateIp: text("private_ip"),
    /** Load balancers. */
    name: text("name"),
    algorithm: text("algorithm"),
    healthCheck: jsonb("health_check").$type<{ path: string | null; intervalMs: number; unhealthyAfter: number } | null>(),
    createdAt: createdAt(),
  },
  (t) => [
    index("network_rules_network_idx").on(t.networkId),
    index("network_rules_public_ip_idx").on(t.publicIpId),
    index("network_rules_nic_idx").on(t.nicId),
    // One VM per static-NAT address, one static-NAT address per NIC.
    uniqueIndex("network_rules_static_nat_ip")
      .on(t.publicIpId)
      .where(sql`${t.kind} = 'static_nat'`),
    uniqueIndex("network_rules_static_nat_nic")
      .on(t.nicId)
      .where(sql`${t.kind} = 'static_nat'`),
    check(
      "network_rules_ports",
      sql`${t.startPort} is null or (${t.startPort} between 1 and 65535 and ${t.endPort} between ${t.startPort} and 65535)`,
    ),
  ],
);

/** A load balancer's members: NICs on its network. */
export const loadBalancerMembers = pgTable(
  "load_balancer_members",
  {
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => networkRules.id, { onDelete: "cascade" }),
    nicId: uuid("nic_id")
      .notNull()
      .references(() => nics.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.nicId] }), index("load_balancer_members_nic_idx").on(t.nicId)],
);
