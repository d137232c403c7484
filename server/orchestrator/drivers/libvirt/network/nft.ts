import type { NetworkRule, NetworkSpec, RuleProtocol } from "../../../network/spec";
import { DriverError } from "../../types";
import { NFT_TABLE, NS_GUEST_IF, nsPublicIf } from "./names";
import { cidr, ipv4, port, portRange, positiveInt } from "./values";

/**
 * The router's whole nftables ruleset for a spec, as one `nft -f` file: the table is created (a
 * no-op when it exists), deleted and defined again in the same transaction, so the kernel swaps
 * the old rules for the new ones atomically and a hand edit or a flush is simply overwritten.
 * Pure: the unit tests read it, and checkNetwork compares the kernel's listing against it.
 *
 * Chains (inside the router namespace only):
 *   firewall  prerouting, before DNAT: ingress to a public address is dropped unless a firewall
 *             rule allows it (replies to the guests' own connections pass as established);
 *   dstnat    static NAT and port forwarding (DNAT to the guest; single ports through a map);
 *   srcnat    static NAT (the guest leaves as its public address), then source NAT;
 *   forward   rate limit, established traffic, DNAT'ed ingress, and guest egress through `egress`.
 */
export function nftRuleset(spec: NetworkSpec): string {
  const lines: string[] = [`table ip ${NFT_TABLE}`, `delete table ip ${NFT_TABLE}`, `table ip ${NFT_TABLE} {`];
  const chain = (name: string, hook: string | null, body: string[]) => {
    lines.push(`  chain ${name} {`);
    if (hook) lines.push(`    ${hook}`);
    for (const r of body) lines.push(`    ${r}`);
    lines.push("  }");
  };
  const guest = spec.guest;
  const pub = spec.public;
  const pubIf = JSON.stringify(nsPublicIf(spec));
  const guestIf = JSON.stringify(NS_GUEST_IF);
  const guestNet = guest ? cidr(guest.cidr, "guest CIDR") : null;
  const publicAddrs = pub ? pub.addresses.map((a) => ipv4(a, "public address")) : [];
  const rules = spec.rules;
  for (const r of rules) checkOwnAddress(r, publicAddrs);

  // --- firewall: ingress to the public addresses ---
  const fw: string[] = [`iifname != ${pubIf} accept`, "ct state established,related accept"];
  for (const r of rules) if (r.kind === "firewall") fw.push(firewallRule(r));
  if (publicAddrs.length) fw.push(`ip daddr ${set(publicAddrs)} drop`);
  chain("firewall", "type filter hook prerouting priority -150; policy accept;", fw);

  // --- dstnat: single-port forwards are elements of one map per protocol (a 1,000-rule network
  // loads and matches as one lookup, not 1,000 rules); port ranges stay rules of their own ---
  const dnat: string[] = [];
  const single = { tcp: new Map<string, string>(), udp: new Map<string, string>() };
  for (const r of rules) {
    if (r.kind === "staticNat") dnat.push(`iifname ${pubIf} ip daddr ${ipv4(r.publicIp)} dnat to ${ipv4(r.privateIp)}`);
    if (r.kind !== "portForward") continue;
    const [pa, pb] = portRange(r.publicPorts, "public ports");
    const [qa, qb] = portRange(r.privatePorts, "private ports");
    if (pa === pb && qa === qb && (r.protocol === "tcp" || r.protocol === "udp")) {
      const key = `${ipv4(r.publicIp)} . ${pa}`;
      if (single[r.protocol].has(key)) throw new DriverError(`Network spec: two port forwards for ${r.protocol} ${r.publicIp}:${pa}`);
      single[r.protocol].set(key, `${ipv4(r.privateIp)} . ${qa}`);
    } else dnat.push(portForwardRule(r, pubIf));
  }
  for (const proto of ["tcp", "udp"] as const) {
    if (single[proto].size === 0) continue;
    lines.push(
      `  map forward_${proto} {`,
      "    type ipv4_addr . inet_service : ipv4_addr . inet_service",
      `    elements = { ${[...single[proto]].map(([k, v]) => `${k} : ${v}`).join(", ")} }`,
      "  }",
    );
    dnat.push(`iifname ${pubIf} dnat ip to ip daddr . ${proto} dport map @forward_${proto}`);
  }
  chain("dstnat", "type nat hook prerouting priority dstnat; policy accept;", dnat);

  // --- srcnat ---
  const snat: string[] = [];
  for (const r of rules)
    if (r.kind === "staticNat") snat.push(`oifname ${pubIf} ip saddr ${ipv4(r.privateIp)} snat to ${ipv4(r.publicIp)}`);
  if (pub?.sourceNat && guestNet)
    snat.push(`oifname ${pubIf} ip saddr ${guestNet.text} snat to ${ipv4(pub.sourceNat, "source-NAT address")}`);
  chain("srcnat", "type nat hook postrouting priority srcnat; policy accept;", snat);

  // --- forward ---
  const fwd: string[] = [];
  if (spec.rateLimitMbps !== null) {
    const kbytes = Math.max(1, Math.round((positiveInt(spec.rateLimitMbps, "rate limit", 1_000_000) * 1_000_000) / 8 / 1024));
    // A tenth of a second's worth of burst, but at least one GSO super-packet (64 KiB) and some.
    const burst = Math.max(128, Math.round(kbytes / 10));
    fwd.push(`iifname ${guestIf} limit rate over ${kbytes} kbytes/second burst ${burst} kbytes drop`);
    fwd.push(`oifname ${guestIf} limit rate over ${kbytes} kbytes/second burst ${burst} kbytes drop`);
  }
  fwd.push("ct state established,related accept", "ct state invalid drop");
  fwd.push(`iifname ${pubIf} oifname ${guestIf} ct status dnat accept`);
  fwd.push(`iifname ${guestIf} oifname ${pubIf} jump egress`);
  chain("forward", "type filter hook forward priority filter; policy drop;", fwd);

  // --- egress: exceptions to the default ---
  const verdictOfException = spec.egressDefault === "allow" ? "drop" : "accept";
  const egress: string[] = [];
  for (const r of rules) if (r.kind === "egress") egress.push(`${match("daddr", r.destCidrs, r.protocol, r.ports)}${verdictOfException}`);
  egress.push(spec.egressDefault === "allow" ? "accept" : "drop");
  chain("egress", null, egress);

  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Rules naming a public address the network does not hold would silently never match: refuse them. */
function checkOwnAddress(r: NetworkRule, publicAddrs: string[]) {
  if ("publicIp" in r && !publicAddrs.includes(r.publicIp))
    throw new DriverError(`Network spec: rule ${r.id} names ${r.publicIp}, which is not one of the network's public addresses`);
}

function set(items: string[]) {
  return items.length === 1 ? items[0]! : `{ ${items.join(", ")} }`;
}

function cidrSet(cidrs: string[]) {
  const texts = cidrs.map((c) => cidr(c).text);
  return texts.length === 0 || texts.includes("0.0.0.0/0") ? null : set(texts);
}

/** `ip <dir> <cidrs> <protocol> dport <ports> ` (trailing space), each part only when it restricts. */
function match(dir: "saddr" | "daddr", cidrs: string[], protocol: RuleProtocol, ports: [number, number] | null) {
  const parts: string[] = [];
  const c = cidrSet(cidrs);
  if (c) parts.push(`ip ${dir} ${c}`);
  if (protocol === "tcp" || protocol === "udp") {
    if (ports) {
      const [a, b] = portRange(ports);
      parts.push(`${protocol} dport ${a === b ? a : `${a}-${b}`}`);
    } else parts.push(`meta l4proto ${protocol}`);
  } else if (protocol === "icmp") parts.push("meta l4proto icmp");
  else if (protocol !== "all") throw new DriverError(`Network spec: bad protocol ${JSON.stringify(protocol)}`);
  return parts.map((p) => `${p} `).join("");
}

function firewallRule(r: Extract<NetworkRule, { kind: "firewall" }>) {
  return `ip daddr ${ipv4(r.publicIp)} ${match("saddr", r.sourceCidrs, r.protocol, r.ports)}accept`;
}

function portForwardRule(r: Extract<NetworkRule, { kind: "portForward" }>, pubIf: string) {
  const [pa, pb] = portRange(r.publicPorts, "public ports");
  const [qa, qb] = portRange(r.privatePorts, "private ports");
  if (r.protocol !== "tcp" && r.protocol !== "udp") throw new DriverError(`Network spec: bad protocol ${JSON.stringify(r.protocol)}`);
  const head = `iifname ${pubIf} ip daddr ${ipv4(r.publicIp)} ${r.protocol} dport ${pa === pb ? pa : `${pa}-${pb}`} dnat to ${ipv4(r.privateIp)}`;
  if (pa === qa && pb === qb) return head; // same ports: the destination port stays
  if (qa === qb) return `${head}:${port(qa)}`; // a range onto one port
  if (qb - qa !== pb - pa)
    throw new DriverError(`Network spec: rule ${r.id} maps ${pb - pa + 1} public ports onto ${qb - qa + 1} private ports`);
  const pairs = Array.from({ length: pb - pa + 1 }, (_, i) => `${pa + i} : ${qa + i}`);
  return `${head} : ${r.protocol} dport map { ${pairs.join(", ")} }`;
}

/**
 * The kernel's listing of a table in a canonical form: whitespace collapsed and the elements of
 * every set and map sorted (a hash set lists in no fixed order), so two listings of the same rules
 * compare equal and any added, removed or changed rule or element does not.
 */
export function canonicalListing(listing: string): string {
  const flat = listing.replace(/\s+/g, " ").trim();
  return flat.replace(
    /elements = \{ ([^}]*) \}/g,
    (_, items: string) =>
      `elements = { ${items
        .split(/\s*,\s*/)
        .sort()
        .join(", ")} }`,
  );
}
