import { asc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { loadBalancerMembers, networkRules, nics, publicIps } from "@/db/schema";
import type { NetworkRule, PortRange, RuleProtocol } from "@/server/orchestrator/network/spec";
import { parseIp } from "@/lib/ipv4";

const range = (a: number | null, b: number | null): PortRange | null => (a === null ? null : [a, b ?? a]);

/** The network's rules as the driver takes them (ordered by creation, so the same rows give the same spec). */
export async function rulesOf(db: DbOrTx, networkId: string): Promise<NetworkRule[]> {
  const rows = await db
    .select({ r: networkRules, address: publicIps.address, nicIp: nics.ip })
    .from(networkRules)
    .leftJoin(publicIps, eq(publicIps.id, networkRules.publicIpId))
    .leftJoin(nics, eq(nics.id, networkRules.nicId))
    .where(eq(networkRules.networkId, networkId))
    .orderBy(asc(networkRules.createdAt), asc(networkRules.id));
  const lbIds = rows.filter((x) => x.r.kind === "load_balancer").map((x) => x.r.id);
  const members = lbIds.length
    ? await db
        .select({ ruleId: loadBalancerMembers.ruleId, ip: nics.ip })
        .from(loadBalancerMembers)
        .innerJoin(nics, eq(nics.id, loadBalancerMembers.nicId))
        .where(inArray(loadBalancerMembers.ruleId, lbIds))
    : [];
  const out: NetworkRule[] = [];
  for (const { r, address, nicIp } of rows) {
    const privateIp = r.privateIp ?? nicIp;
    switch (r.kind) {
      case "static_nat":
        if (address && privateIp) out.push({ kind: "staticNat", id: r.id, publicIp: address, privateIp });
        break;
      case "port_forward":
        if (address && privateIp)
          out.push({
            kind: "portForward",
            id: r.id,
            publicIp: address,
            protocol: r.protocol as "tcp" | "udp",
            publicPorts: range(r.startPort, r.endPort)!,
            privateIp,
            privatePorts: range(r.privateStartPort, r.privateEndPort)!,
          });
        break;
      case "firewall":
        if (address)
          out.push({
            kind: "firewall",
            id: r.id,
            publicIp: address,
            protocol: r.protocol as RuleProtocol,
            ports: range(r.startPort, r.endPort),
            sourceCidrs: r.cidrs,
          });
        break;
      case "egress":
        out.push({
          kind: "egress",
          id: r.id,
          protocol: r.protocol as RuleProtocol,
          ports: range(r.startPort, r.endPort),
          destCidrs: r.cidrs,
        });
        break;
      case "load_balancer":
        if (address)
          out.push({
            kind: "loadBalancer",
            id: r.id,
            publicIp: address,
            protocol: "tcp",
            publicPort: r.startPort!,
            privatePort: r.privateStartPort!,
            algorithm: (r.algorithm ?? "roundrobin") as "roundrobin" | "leastconn" | "source",
            members: members
              .filter((m) => m.ruleId === r.id && m.ip)
              .map((m) => ({ ip: m.ip! }))
              .sort((a, b) => parseIp(a.ip)! - parseIp(b.ip)!),
            healthCheck: r.healthCheck ?? null,
          });
        break;
    }
  }
  return out;
}
