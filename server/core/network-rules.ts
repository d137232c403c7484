import { inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { loadBalancerMembers, networkRules, networks } from "@/db/schema";
import { ruleKindLabels, type NetworkRuleKind } from "@/lib/validation/network-rules";
import { networkEvent } from "./events";
import { recordNetworkRuleUsage } from "./usage";

/**
 * Dropping network rules, with an event and a usage fact for each, in the caller's transaction: the
 * one way rules go, whether a tenant deletes one, a public IP is released, a NIC is removed or the
 * orchestrator expunges a VM.
 */

export const usageOf = (kind: NetworkRuleKind, add: boolean) =>
  kind === "load_balancer" ? (add ? "LB.CREATE" : "LB.DELETE") : add ? "NET.RULEADD" : "NET.RULEDELETE";

export const eventOf: Record<NetworkRuleKind, [string, string]> = {
  static_nat: ["STATICNAT.ENABLE", "STATICNAT.DISABLE"],
  port_forward: ["NET.RULEADD", "NET.RULEDELETE"],
  firewall: ["FIREWALL.OPEN", "FIREWALL.CLOSE"],
  egress: ["FIREWALL.EGRESS.OPEN", "FIREWALL.EGRESS.CLOSE"],
  load_balancer: ["LB.CREATE", "LB.DELETE"],
};

/** Deletes rules (with their facts and events); the caller holds the network's lock or is removing it. */
export async function dropRules(tx: DbOrTx, where: SQL | undefined, actor: string | null, key?: string): Promise<number> {
  const gone = await tx.delete(networkRules).where(where).returning();
  if (gone.length === 0) return 0;
  const owners = await tx
    .select()
    .from(networks)
    .where(inArray(networks.id, [...new Set(gone.map((r) => r.networkId))]));
  for (const r of gone) {
    const n = owners.find((o) => o.id === r.networkId);
    if (!n) continue;
    await networkEvent(tx, n, eventOf[r.kind][1], `${ruleKindLabels[r.kind]} rule removed from network ${n.name}`, {
      actor,
      details: { ruleId: r.id },
    });
    await recordNetworkRuleUsage(tx, usageOf(r.kind, false), r, n, { key: key ? `${key}:${r.id}` : undefined });
  }
  return gone.length;
}

/**
 * An expunged VM (or a removed NIC) leaves every rule aimed at it: its static NAT and port
 * forwards go, and it leaves load balancers (the reconciler re-applies its networks, as for leases).
 */
export async function dropRulesOfNics(tx: DbOrTx, nicIds: string[], actor: string | null, key?: string) {
  if (nicIds.length === 0) return 0;
  await tx.delete(loadBalancerMembers).where(inArray(loadBalancerMembers.nicId, nicIds));
  return dropRules(tx, inArray(networkRules.nicId, nicIds), actor, key);
}
