import { createHash } from "node:crypto";
import type { RuleProtocol, SecurityGroupRuleSpec, VmFirewallSpec } from "../../../network/spec";
import { DriverError, type HostRef } from "../../types";
import { ToolError } from "../run";
import { hostRunner, type HostRunner } from "./host-runner";
import { cidr, ipv4, mac, portRange } from "./values";
import { canonicalListing } from "./nft";

/**
 * Security groups on libvirt: one nftables table of the bridge family per VM (`stratus-sg-<vm>`),
 * matching the VM's frames by its NICs' MACs on whatever bridge port (tap) they use, so it holds
 * across restarts and migrations without knowing libvirt's tap names. Frames from a NIC are
 * checked in prerouting (egress, with an anti-spoofing check of the source address), frames to it
 * in postrouting (ingress); replies to flows either side allowed pass through per-NIC flow sets
 * (see flowSet); ICMP errors and echo replies pass. DHCP (udp 67/68) always passes, IPv6
 * is dropped (the networks are IPv4 only, so it could only bypass the rules), ARP passes.
 * The table is replaced whole by one `nft -f` (create, delete, define in one transaction).
 */
const VM_NAME_RE = /^[a-z0-9][a-z0-9-]{0,47}$/;

export function securityGroupTable(vmName: string) {
  if (!VM_NAME_RE.test(vmName)) throw new DriverError(`Security groups: bad VM name ${JSON.stringify(vmName)}`);
  return `stratus-sg-${vmName}`;
}

/** The VM's whole filter as one `nft -f` file (pure; unit-tested). No NICs: the table is only deleted. */
export function nftSecurityGroups(spec: VmFirewallSpec): string {
  const table = securityGroupTable(spec.vmName);
  const lines = [`table bridge ${table}`, `delete table bridge ${table}`];
  if (spec.nics.length === 0) return lines.join("\n") + "\n";
  const pre: string[] = [];
  const post: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  spec.nics.forEach((nic, i) => {
    const m = mac(nic.mac.toLowerCase());
    const ip = ipv4(nic.ip, "NIC address");
    pre.push(`ether saddr ${m} jump from_${i}`);
    post.push(`ether daddr ${m} jump to_${i}`);
    const egress = nic.rules.filter((r) => r.direction === "egress");
    const ingress = nic.rules.filter((r) => r.direction === "ingress");
    // The key a reply is looked up by: (remote, local, protocol, remote port, local port).
    const replyKey = "ip daddr . ip saddr . meta l4proto . th dport . th sport";
    const packetKey = "ip saddr . ip daddr . meta l4proto . th sport . th dport";
    sets.push(flowSet(`out_${i}`), flowSet(`in_${i}`));
    const from = [
      "ether type ip6 drop",
      "ether type != ip accept",
      "udp sport 68 udp dport 67 accept",
      `ip saddr != ${ip} drop`,
      `meta l4proto { tcp, udp } ${packetKey} @in_${i} accept`,
      ...egress.flatMap((r) => ruleLine("daddr", r, `goto allow_from_${i}`)),
      // CloudStack: no egress rule = all egress allowed; any egress rule = only what the rules allow.
      egress.length ? "drop" : `goto allow_from_${i}`,
    ];
    const to = [
      "ether type ip6 drop",
      "ether type != ip accept",
      "udp sport 67 udp dport 68 accept",
      `meta l4proto { tcp, udp } ${packetKey} @out_${i} accept`,
      "icmp type { echo-reply, destination-unreachable, time-exceeded } accept",
      ...ingress.flatMap((r) => ruleLine("saddr", r, `goto allow_to_${i}`)),
      "drop",
    ];
    chains.push(
      chainText(`from_${i}`, null, from),
      chainText(`allow_from_${i}`, null, [`meta l4proto { tcp, udp } update @out_${i} { ${replyKey} }`, "accept"]),
      chainText(`to_${i}`, null, to),
      chainText(`allow_to_${i}`, null, [`meta l4proto { tcp, udp } update @in_${i} { ${replyKey} }`, "accept"]),
    );
  });
  lines.push(
    `table bridge ${table} {`,
    chainText("pre", "type filter hook prerouting priority -200; policy accept;", pre),
    chainText("post", "type filter hook postrouting priority -200; policy accept;", post),
    ...sets,
    ...chains,
    "}",
  );
  return lines.join("\n") + "\n";
}

/**
 * The flows a NIC opened (out_) or accepted (in_), keyed as their replies will look, with a
 * timeout each packet renews: this kernel family has no conntrack on bridges everywhere
 * (CONFIG_NF_CONNTRACK_BRIDGE is often off), so replies are matched by these sets instead.
 */
function flowSet(name: string) {
  return [
    `  set ${name} {`,
    "    type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service",
    "    flags dynamic,timeout",
    "    timeout 5m",
    "    size 65536",
    "  }",
  ].join("\n");
}

function chainText(name: string, hook: string | null, body: string[]) {
  return [`  chain ${name} {`, ...(hook ? [`    ${hook}`] : []), ...body.map((r) => `    ${r}`), "  }"].join("\n");
}

/** One accept line per rule; a rule whose peer set is empty (a group without members) matches no one and is left out. */
function ruleLine(dir: "saddr" | "daddr", r: SecurityGroupRuleSpec, verdict: string): string[] {
  if (r.cidrs.length === 0) return [];
  const texts = [...new Set(r.cidrs.map((c) => cidr(c.includes("/") ? c : `${c}/32`, "peer CIDR").text))].sort();
  const parts: string[] = [];
  if (!texts.includes("0.0.0.0/0")) parts.push(`ip ${dir} ${texts.length === 1 ? texts[0] : `{ ${texts.join(", ")} }`}`);
  parts.push(...protocolMatch(r.protocol, r.ports));
  parts.push(verdict);
  return [parts.join(" ")];
}

function protocolMatch(protocol: RuleProtocol, ports: SecurityGroupRuleSpec["ports"]): string[] {
  if (protocol === "tcp" || protocol === "udp") {
    if (!ports) return [`meta l4proto ${protocol}`];
    const [a, b] = portRange(ports, "rule ports");
    return [`${protocol} dport ${a === b ? a : `${a}-${b}`}`];
  }
  if (protocol === "icmp") return ["meta l4proto icmp"];
  if (protocol === "all") return [];
  throw new DriverError(`Security groups: bad protocol ${JSON.stringify(protocol)}`);
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

/**
 * Applies and checks the per-VM tables on a host. The kernel's listing after an apply is kept in a
 * state file (with the generated file's hash), so check spots a flushed, deleted or edited table.
 * Listings are terse (`nft -t`): the flow sets' elements come and go with traffic.
 */
export class LibvirtSecurityGroups {
  constructor(private readonly opts: { stateRoot?: string; runner?: (host: HostRef) => HostRunner } = {}) {}

  private runner(host: HostRef) {
    return (this.opts.runner ?? hostRunner)(host);
  }
  private stateFile(vmName: string) {
    return `${this.opts.stateRoot ?? "/run/stratus/secgroups"}/${securityGroupTable(vmName)}.listed`;
  }

  async applySecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<void> {
    const run = this.runner(host);
    const text = nftSecurityGroups(spec);
    await run("nft", ["-f", "-"], { input: text, timeoutMs: 30_000 });
    const file = this.stateFile(spec.vmName);
    if (spec.nics.length === 0) {
      await run("rm", ["-f", file]);
      return;
    }
    const listed = await run("nft", ["-t", "list", "table", "bridge", securityGroupTable(spec.vmName)]);
    await run("mkdir", ["-p", file.slice(0, file.lastIndexOf("/"))]);
    await run("tee", [file], { input: `${hash(text)}\n${canonicalListing(listed.stdout)}` });
  }

  async checkSecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<string[]> {
    const run = this.runner(host);
    const table = securityGroupTable(spec.vmName);
    const listed = await run("nft", ["-t", "list", "table", "bridge", table]).then(
      (r) => r.stdout,
      (e: unknown) => {
        if (e instanceof ToolError) return null;
        throw e;
      },
    );
    if (spec.nics.length === 0) return listed === null ? [] : [`nftables table ${table} exists but the VM has no security groups`];
    if (listed === null) return [`nftables table ${table} is missing`];
    const stored = await run("cat", [this.stateFile(spec.vmName)]).then(
      (r) => r.stdout,
      () => null,
    );
    return stored === `${hash(nftSecurityGroups(spec))}\n${canonicalListing(listed)}`
      ? []
      : [`nftables table ${table} differs from the generated one`];
  }

  async removeSecurityGroups(host: HostRef, vmName: string): Promise<void> {
    await this.applySecurityGroups(host, { vmName, nics: [] });
  }
}
