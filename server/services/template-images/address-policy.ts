import { BlockList, isIP } from "node:net";
import { cidrList, inList, plainIp } from "@/server/net/cidr";
import { env } from "@/server/env";

/**
 * Which addresses a template URL may reach. Anything that is not public unicast is refused
 * (loopback, private, carrier-grade NAT, link-local with the cloud metadata address 169.254.169.254,
 * multicast, reserved, unspecified, IPv6 unique-local and NAT64), unless the admin setting
 * STRATUS_TEMPLATE_URL_ALLOW_CIDRS names it: a tenant's URL must not make the server read its
 * own or its neighbours' internal services.
 */
const notPublic = (() => {
  const l = new BlockList();
  for (const [a, bits] of [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4],
  ] as const)
    l.addSubnet(a, bits, "ipv4");
  for (const [a, bits] of [
    ["::", 128],
    ["::1", 128],
    ["64:ff9b::", 96],
    ["100::", 64],
    ["fc00::", 7],
    ["fe80::", 10],
    ["fec0::", 10],
    ["ff00::", 8],
    ["2001:db8::", 32],
  ] as const)
    l.addSubnet(a, bits, "ipv6");
  return l;
})();

/** The admin's exceptions, parsed from the setting (cached per value). */
let cached: { spec: string; list: BlockList | null } | undefined;
function allowed(): BlockList | null {
  const spec = env().STRATUS_TEMPLATE_URL_ALLOW_CIDRS;
  if (cached?.spec !== spec) cached = { spec, list: cidrList(spec, "STRATUS_TEMPLATE_URL_ALLOW_CIDRS") };
  return cached.list;
}

/** Why the server may not connect to `ip` for a template download (null when it may). */
export function addressProblem(ip: string): string | null {
  const a = plainIp(ip);
  if (!isIP(a)) return `${ip} is not an IP address`;
  const allow = allowed();
  if (allow && inList(allow, a)) return null;
  if (inList(notPublic, a)) return `${a} is a private, loopback, link-local or reserved address, which template URLs may not reach`;
  return null;
}
