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

/** The admin's exceptions, parsed from a setting (cached per setting and value). */
const cached = new Map<string, { spec: string; list: BlockList | null }>();
function allowed(setting: "STRATUS_TEMPLATE_URL_ALLOW_CIDRS" | "STRATUS_WEBHOOK_ALLOW_CIDRS"): BlockList | null {
  const spec = env()[setting];
  let c = cached.get(setting);
  if (c?.spec !== spec) cached.set(setting, (c = { spec, list: cidrList(spec, setting) }));
  return c.list;
}

/**
 * Why the server may not connect to `ip` for what the setting governs (null when it may): the
 * one address rule of every URL an admin or tenant gives the server (templates, webhooks).
 */
export function addressProblemFor(
  ip: string,
  setting: "STRATUS_TEMPLATE_URL_ALLOW_CIDRS" | "STRATUS_WEBHOOK_ALLOW_CIDRS",
  what: string,
): string | null {
  const a = plainIp(ip);
  if (!isIP(a)) return `${ip} is not an IP address`;
  const allow = allowed(setting);
  if (allow && inList(allow, a)) return null;
  if (inList(notPublic, a)) return `${a} is a private, loopback, link-local or reserved address, which ${what} may not reach`;
  return null;
}

/** Why the server may not connect to `ip` for a template download (null when it may). */
export const addressProblem = (ip: string) => addressProblemFor(ip, "STRATUS_TEMPLATE_URL_ALLOW_CIDRS", "template URLs");
