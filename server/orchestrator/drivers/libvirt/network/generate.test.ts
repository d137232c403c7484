/**
 * The router's generated files, from a spec: the nftables ruleset (one atomic file), dnsmasq's
 * configuration and static leases, and haproxy's configuration. Pure functions: the real-traffic
 * suite (networks.network.test.ts) shows what they do in the kernel.
 */
import { describe, expect, it } from "vitest";
import type { NetworkRule, NetworkSpec } from "../../../network/spec";
import { dnsmasqFiles } from "./dnsmasq";
import { haproxyConfig } from "./haproxy";
import { canonicalListing, nftRuleset } from "./nft";

function spec(rules: NetworkRule[], over: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    id: "n-1",
    key: "k1",
    type: "isolated",
    segment: null,
    uplinks: { publicBridge: "brpub", guestUplink: null },
    guest: {
      cidr: "10.1.1.0/24",
      gateway: "10.1.1.1",
      dnsDomain: "acme.internal",
      dhcp: true,
      dns: true,
      leases: [{ mac: "02:00:00:00:00:0a", ip: "10.1.1.10", hostname: "web-1" }],
    },
    public: {
      gateway: "203.0.113.1",
      prefixLength: 24,
      vlan: null,
      addresses: ["203.0.113.10", "203.0.113.11"],
      sourceNat: "203.0.113.10",
    },
    egressDefault: "allow",
    rateLimitMbps: null,
    rules,
    ...over,
  };
}
const chainOf = (text: string, name: string) =>
  new RegExp(`chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`)
    .exec(text)?.[1]
    ?.split("\n")
    .map((l) => l.trim()) ?? [];

describe("nftRuleset", () => {
  it("replaces the table whole in one file: create, delete, define", () => {
    const text = nftRuleset(spec([]));
    expect(text.split("\n").slice(0, 3)).toEqual(["table ip stratus", "delete table ip stratus", "table ip stratus {"]);
    expect(chainOf(text, "srcnat")).toContain('oifname "public0" ip saddr 10.1.1.0/24 snat to 203.0.113.10');
    // Ingress to the public addresses is dropped unless allowed; replies to the guests' own connections pass.
    expect(chainOf(text, "firewall")).toEqual([
      "type filter hook prerouting priority -150; policy accept;",
      'iifname != "public0" accept',
      "ct state established,related accept",
      "ip daddr { 203.0.113.10, 203.0.113.11 } drop",
    ]);
    expect(chainOf(text, "egress")).toEqual(["accept"]);
  });

  it("static NAT both ways, port forwards (same ports, onto one port, shifted ranges) and firewall rules by CIDR", () => {
    const text = nftRuleset(
      spec([
        { kind: "staticNat", id: "s", publicIp: "203.0.113.11", privateIp: "10.1.1.20" },
        {
          kind: "portForward",
          id: "a",
          publicIp: "203.0.113.10",
          protocol: "tcp",
          publicPorts: [80, 80],
          privateIp: "10.1.1.10",
          privatePorts: [80, 80],
        },
        {
          kind: "portForward",
          id: "b",
          publicIp: "203.0.113.10",
          protocol: "udp",
          publicPorts: [5000, 5010],
          privateIp: "10.1.1.10",
          privatePorts: [53, 53],
        },
        {
          kind: "portForward",
          id: "c",
          publicIp: "203.0.113.10",
          protocol: "tcp",
          publicPorts: [8000, 8002],
          privateIp: "10.1.1.10",
          privatePorts: [9000, 9002],
        },
        {
          kind: "firewall",
          id: "f",
          publicIp: "203.0.113.10",
          protocol: "tcp",
          ports: [80, 80],
          sourceCidrs: ["198.51.100.0/24", "192.0.2.7/32"],
        },
        { kind: "firewall", id: "g", publicIp: "203.0.113.11", protocol: "icmp", ports: null, sourceCidrs: [] },
      ]),
    );
    expect(chainOf(text, "dstnat").slice(1)).toEqual([
      'iifname "public0" ip daddr 203.0.113.11 dnat to 10.1.1.20',
      'iifname "public0" ip daddr 203.0.113.10 udp dport 5000-5010 dnat to 10.1.1.10:53',
      'iifname "public0" ip daddr 203.0.113.10 tcp dport 8000-8002 dnat to 10.1.1.10 : tcp dport map { 8000 : 9000, 8001 : 9001, 8002 : 9002 }',
      'iifname "public0" dnat ip to ip daddr . tcp dport map @forward_tcp',
    ]);
    // Single-port forwards are elements of one map per protocol.
    expect(text).toContain(
      "  map forward_tcp {\n    type ipv4_addr . inet_service : ipv4_addr . inet_service\n    elements = { 203.0.113.10 . 80 : 10.1.1.10 . 80 }\n  }",
    );
    expect(text).not.toContain("forward_udp");
    // The static NAT guest leaves as its own address, before the network's source NAT.
    expect(chainOf(text, "srcnat").slice(1)).toEqual([
      'oifname "public0" ip saddr 10.1.1.20 snat to 203.0.113.11',
      'oifname "public0" ip saddr 10.1.1.0/24 snat to 203.0.113.10',
    ]);
    expect(chainOf(text, "firewall")).toContain("ip daddr 203.0.113.10 ip saddr { 198.51.100.0/24, 192.0.2.7/32 } tcp dport 80 accept");
    expect(chainOf(text, "firewall")).toContain("ip daddr 203.0.113.11 meta l4proto icmp accept");
  });

  it("egress: exceptions accept under a default deny (drop under allow), then the default; rate limit both ways", () => {
    const rules: NetworkRule[] = [{ kind: "egress", id: "e", protocol: "tcp", ports: [443, 443], destCidrs: ["0.0.0.0/0"] }];
    expect(chainOf(nftRuleset(spec(rules, { egressDefault: "deny" })), "egress")).toEqual(["tcp dport 443 accept", "drop"]);
    expect(chainOf(nftRuleset(spec(rules)), "egress")).toEqual(["tcp dport 443 drop", "accept"]);
    const fwd = chainOf(nftRuleset(spec([], { rateLimitMbps: 10 })), "forward");
    expect(fwd.filter((l) => l.includes("limit rate over 1221 kbytes/second burst 128 kbytes drop"))).toHaveLength(2);
  });

  it("refuses values that are not addresses, CIDRs or ports, and rules on addresses the network does not hold", () => {
    const pf = (o: object) =>
      ({
        kind: "portForward",
        id: "x",
        publicIp: "203.0.113.10",
        protocol: "tcp",
        publicPorts: [80, 80],
        privateIp: "10.1.1.10",
        privatePorts: [80, 80],
        ...o,
      }) as NetworkRule;
    expect(() => nftRuleset(spec([pf({ privateIp: "10.1.1.10; flush ruleset" })]))).toThrow(/bad address/);
    expect(() => nftRuleset(spec([pf({ publicPorts: [0, 80] })]))).toThrow(/bad public ports/);
    expect(() => nftRuleset(spec([pf({ publicPorts: [90, 80] })]))).toThrow(/bad public ports/);
    expect(() => nftRuleset(spec([pf({ publicPorts: [80, 81], privatePorts: [90, 92] })]))).toThrow(/maps 2 public ports onto 3/);
    expect(() => nftRuleset(spec([pf({ publicIp: "198.51.100.5" })]))).toThrow(/not one of the network's public addresses/);
    expect(() =>
      nftRuleset(
        spec([{ kind: "firewall", id: "f", publicIp: "203.0.113.10", protocol: "tcp", ports: null, sourceCidrs: ["10.0.0.0/33"] }]),
      ),
    ).toThrow(/bad CIDR/);
  });

  it("1,000 single-port forwards are one map of 1,000 elements and one rule; two forwards of one port are refused", () => {
    const rules: NetworkRule[] = Array.from({ length: 1000 }, (_, i) => ({
      kind: "portForward",
      id: `r${i}`,
      publicIp: "203.0.113.10",
      protocol: "tcp",
      publicPorts: [10000 + i, 10000 + i],
      privateIp: "10.1.1.10",
      privatePorts: [80, 80],
    }));
    const text = nftRuleset(spec(rules));
    expect(chainOf(text, "dstnat")).toHaveLength(2);
    expect(/elements = \{ ([^}]*) \}/.exec(text)![1]!.split(", ")).toHaveLength(1000);
    expect(() => nftRuleset(spec([...rules, { ...(rules[5] as object), id: "dup" } as NetworkRule]))).toThrow(
      /two port forwards for tcp 203.0.113.10:10005/,
    );
  });

  it("compares listings canonically: element order and whitespace do not count, a changed element does", () => {
    const a =
      "table ip stratus {\n\tmap m {\n\t\telements = { 1.1.1.1 . 80 : 10.0.0.1 . 80,\n\t\t\t     1.1.1.1 . 81 : 10.0.0.1 . 81 }\n\t}\n}";
    const b = "table ip stratus {\n  map m {\n    elements = { 1.1.1.1 . 81 : 10.0.0.1 . 81, 1.1.1.1 . 80 : 10.0.0.1 . 80 }\n  }\n}";
    expect(canonicalListing(a)).toBe(canonicalListing(b));
    expect(canonicalListing(a)).not.toBe(canonicalListing(b.replace("10.0.0.1 . 81", "10.0.0.2 . 81")));
  });
});

describe("dnsmasqFiles", () => {
  it("serves static leases only, on the guest interface, with the gateway as router and DNS server", () => {
    const f = dnsmasqFiles(spec([]), "/run/x")!;
    expect(f.conf.split("\n")).toEqual(
      expect.arrayContaining([
        "interface=guest0",
        "bind-interfaces",
        "pid-file=/run/x/dnsmasq.pid",
        "dhcp-range=10.1.1.0,static,255.255.255.0,12h",
        "dhcp-hostsfile=/run/x/dnsmasq.hosts",
        "dhcp-option=option:router,10.1.1.1",
        "dhcp-option=option:dns-server,10.1.1.1",
        "domain=acme.internal",
      ]),
    );
    expect(f.hosts).toBe("02:00:00:00:00:0a,10.1.1.10,web-1\n");
  });

  it("a shared network's router serves DHCP and DNS from its own address and names the zone's gateway as router", () => {
    const g = spec([]).guest!;
    const conf = dnsmasqFiles(spec([], { type: "shared", public: null, guest: { ...g, routerIp: "10.1.1.2" } }), "/x")!.conf;
    expect(conf).toContain("dhcp-option=option:router,10.1.1.1\ndhcp-option=option:dns-server,10.1.1.2\n");
  });

  it("refuses leases outside the CIDR, shared addresses and bad names; no dnsmasq without DHCP and DNS", () => {
    const g = spec([]).guest!;
    const lease = g.leases[0]!;
    expect(() => dnsmasqFiles(spec([], { guest: { ...g, leases: [{ ...lease, ip: "10.1.2.10" }] } }), "/x")).toThrow(/outside/);
    expect(() => dnsmasqFiles(spec([], { guest: { ...g, leases: [lease, { ...lease, mac: "02:00:00:00:00:0b" }] } }), "/x")).toThrow(
      /share/,
    );
    expect(() => dnsmasqFiles(spec([], { guest: { ...g, leases: [{ ...lease, hostname: "a\nb" }] } }), "/x")).toThrow(/hostname/);
    expect(() => dnsmasqFiles(spec([], { guest: { ...g, dnsDomain: "x\nport=53" } }), "/x")).toThrow(/DNS domain/);
    expect(dnsmasqFiles(spec([], { guest: { ...g, dhcp: false, dns: false } }), "/x")).toBeNull();
  });
});

describe("haproxyConfig", () => {
  it("one TCP listener per load-balancer rule with health-checked members; none without rules", () => {
    expect(haproxyConfig(spec([]), "/x")).toBeNull();
    const cfg = haproxyConfig(
      spec([
        {
          kind: "loadBalancer",
          id: "lb-1",
          publicIp: "203.0.113.11",
          protocol: "tcp",
          publicPort: 443,
          privatePort: 8443,
          algorithm: "leastconn",
          members: [{ ip: "10.1.1.10" }, { ip: "10.1.1.11" }],
          healthCheck: { path: "/health", intervalMs: 2000, unhealthyAfter: 3 },
        },
      ]),
      "/x",
    )!;
    expect(cfg).toContain("listen lb-lb-1\n  bind 203.0.113.11:443\n  balance leastconn\n  option httpchk GET /health\n");
    expect(cfg).toContain(
      "  server m0 10.1.1.10:8443 check inter 2000 fall 3 rise 2\n  server m1 10.1.1.11:8443 check inter 2000 fall 3 rise 2\n",
    );
  });
});
