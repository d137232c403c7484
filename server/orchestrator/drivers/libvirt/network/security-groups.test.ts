import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { nftSecurityGroups, securityGroupTable } from "./security-groups";
import type { SecurityGroupRuleSpec, VmFirewallSpec } from "../../../network/spec";

const spec: VmFirewallSpec = {
  vmName: "i-42",
  nics: [
    {
      mac: "02:00:0A:00:00:05",
      ip: "10.9.0.5",
      rules: [
        { direction: "ingress", protocol: "tcp", ports: [80, 80], cidrs: ["198.51.100.0/24"] },
        { direction: "ingress", protocol: "all", ports: null, cidrs: ["10.9.0.7", "10.9.0.6"] },
        { direction: "ingress", protocol: "icmp", ports: null, cidrs: [] },
        { direction: "egress", protocol: "udp", ports: [1000, 2000], cidrs: ["0.0.0.0/0"] },
      ],
    },
  ],
};

/** The rules of one chain, in order. */
function chain(text: string, name: string) {
  const start = text.indexOf(`chain ${name} {`);
  return text
    .slice(start, text.indexOf("  }", start))
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** nft's own parser, without touching the kernel (`-c`), when the machine has nft. */
function nftAccepts(text: string) {
  try {
    execFileSync("nft", ["-c", "-f", "-"], { input: text, stdio: ["pipe", "pipe", "pipe"] });
    return true;
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") return true;
    throw new Error(String(err.stderr ?? e));
  }
}

describe("security groups as one nftables bridge table per VM", () => {
  it("replaces the table atomically and filters each NIC by its MAC both ways", () => {
    const text = nftSecurityGroups(spec);
    const lines = text.split("\n").map((l) => l.trim());
    expect(lines.slice(0, 3)).toEqual([
      "table bridge stratus-sg-i-42",
      "delete table bridge stratus-sg-i-42",
      "table bridge stratus-sg-i-42 {",
    ]);
    expect(lines).toContain("ether saddr 02:00:0a:00:00:05 jump from_0");
    expect(lines).toContain("ether daddr 02:00:0a:00:00:05 jump to_0");
    // ingress: the CIDR rule, the group peers (sorted, /32), nothing for the empty peer set, then drop
    const to = chain(text, "to_0");
    expect(to.slice(-3)).toEqual([
      "ip saddr 198.51.100.0/24 tcp dport 80 goto allow_to_0",
      "ip saddr { 10.9.0.6/32, 10.9.0.7/32 } goto allow_to_0",
      "drop",
    ]);
    // replies to the VM's own flows come back through the flow set its egress fills
    expect(to).toContain("meta l4proto { tcp, udp } ip saddr . ip daddr . meta l4proto . th sport . th dport @out_0 accept");
    expect(chain(text, "allow_from_0")[0]).toBe(
      "meta l4proto { tcp, udp } update @out_0 { ip daddr . ip saddr . meta l4proto . th dport . th sport }",
    );
    expect(to.join("\n")).not.toContain("l4proto icmp");
    // egress: anti-spoofing, then the rule (any destination), then drop because an egress rule exists
    const from = chain(text, "from_0");
    expect(from).toContain("ip saddr != 10.9.0.5 drop");
    expect(from.slice(-2)).toEqual(["udp dport 1000-2000 goto allow_from_0", "drop"]);
    expect(nftAccepts(text)).toBe(true);
  });

  it("allows all egress when the groups have no egress rule (CloudStack), and ingress only from what rules allow", () => {
    const text = nftSecurityGroups({ vmName: "i-1", nics: [{ mac: "02:00:00:00:00:01", ip: "10.0.0.2", rules: [] }] });
    expect(chain(text, "from_0").at(-1)).toBe("goto allow_from_0");
    expect(chain(text, "to_0").at(-1)).toBe("drop");
    expect(nftAccepts(text)).toBe(true);
  });

  it("without NICs only deletes the table; refuses names and values that are not Stratus's", () => {
    expect(nftSecurityGroups({ vmName: "i-1", nics: [] })).toBe("table bridge stratus-sg-i-1\ndelete table bridge stratus-sg-i-1\n");
    expect(() => securityGroupTable("i-1; flush ruleset")).toThrow(/bad VM name/);
    expect(() => nftSecurityGroups({ vmName: "i-1", nics: [{ mac: "02:00:00:00:00:01", ip: "10.0.0.2 ", rules: [] }] })).toThrow();
    const bad: SecurityGroupRuleSpec = { direction: "ingress", protocol: "tcp", ports: [80, 70], cidrs: ["10.0.0.0/8"] };
    expect(() => nftSecurityGroups({ vmName: "i-1", nics: [{ mac: "02:00:00:00:00:01", ip: "10.0.0.2", rules: [bad] }] })).toThrow(
      /rule ports/,
    );
  });
});
