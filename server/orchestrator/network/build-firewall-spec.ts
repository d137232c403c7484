import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { instances, nicSecurityGroups, nics, securityGroupRules } from "@/db/schema";
import type { SecurityGroupRuleSpec, VmFirewallSpec } from "@/server/orchestrator/network/spec";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { parseIp } from "@/lib/ipv4";

/**
 * A VM's security groups as the driver applies them: per NIC that belongs to groups, the union of
 * their rules, each group peer resolved to its members' addresses now (/32, sorted). The same rows
 * always give the same spec, so the reconciler can compare; a member that comes or goes changes
 * the spec of every VM whose groups name its group as a peer (vmsReferencing finds them).
 */
export async function buildVmFirewallSpec(db: DbOrTx, instanceId: string): Promise<VmFirewallSpec | null> {
  const [vm] = await db.select().from(instances).where(eq(instances.id, instanceId));
  if (!vm) return null;
  const memberships = await db
    .select({ nicId: nics.id, mac: nics.mac, ip: nics.ip, groupId: nicSecurityGroups.securityGroupId })
    .from(nicSecurityGroups)
    .innerJoin(nics, eq(nics.id, nicSecurityGroups.nicId))
    .where(eq(nics.instanceId, vm.id));
  const groupIds = [...new Set(memberships.map((m) => m.groupId))];
  const rules = groupIds.length
    ? await db
        .select()
        .from(securityGroupRules)
        .where(inArray(securityGroupRules.securityGroupId, groupIds))
        .orderBy(asc(securityGroupRules.createdAt), asc(securityGroupRules.id))
    : [];
  const peerIds = [...new Set(rules.map((r) => r.peerSecurityGroupId).filter((p): p is string => p !== null))];
  const peerIps = new Map<string, string[]>();
  if (peerIds.length) {
    const rows = await db
      .select({ groupId: nicSecurityGroups.securityGroupId, ip: nics.ip })
      .from(nicSecurityGroups)
      .innerJoin(nics, eq(nics.id, nicSecurityGroups.nicId))
      .innerJoin(instances, eq(instances.id, nics.instanceId))
      .where(and(inArray(nicSecurityGroups.securityGroupId, peerIds), ne(instances.state, "expunged")));
    for (const r of rows) if (r.ip) peerIps.set(r.groupId, [...(peerIps.get(r.groupId) ?? []), `${r.ip}/32`]);
  }
  const byNic = new Map<string, { mac: string; ip: string | null; groups: Set<string> }>();
  for (const m of memberships) {
    const e = byNic.get(m.nicId) ?? { mac: m.mac, ip: m.ip, groups: new Set<string>() };
    e.groups.add(m.groupId);
    byNic.set(m.nicId, e);
  }
  const nicSpecs = [...byNic.values()]
    .filter((n): n is { mac: string; ip: string; groups: Set<string> } => n.ip !== null)
    .map((n) => ({
      mac: n.mac,
      ip: n.ip,
      rules: dedupe(
        rules
          .filter((r) => n.groups.has(r.securityGroupId))
          .map((r): SecurityGroupRuleSpec => ({
            direction: r.direction,
            protocol: r.protocol,
            ports: r.startPort !== null && r.endPort !== null ? [r.startPort, r.endPort] : null,
            cidrs: r.cidr ? [r.cidr] : sortIps(peerIps.get(r.peerSecurityGroupId!) ?? []),
          })),
      ),
    }))
    .sort((a, b) => a.mac.localeCompare(b.mac));
  return { vmName: vmInternalName(vm), nics: nicSpecs };
}

const sortIps = (cidrs: string[]) => [...new Set(cidrs)].sort((a, b) => parseIp(a.split("/")[0]!)! - parseIp(b.split("/")[0]!)!);

/** Two groups with the same rule give it once. */
function dedupe(rules: SecurityGroupRuleSpec[]) {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
