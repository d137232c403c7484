import { BlockList, isIP } from "node:net";

/** An IP address without the IPv4-mapped IPv6 prefix (::ffff:10.0.0.1 → 10.0.0.1). */
export const plainIp = (ip: string) => (ip.toLowerCase().startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/**
 * A list of addresses and CIDR ranges from a setting ("127.0.0.1,10.0.0.0/8,fd00::/8"); null when
 * the setting is empty. A malformed entry throws, naming the setting.
 */
export function cidrList(spec: string, setting: string): BlockList | null {
  const entries = spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) return null;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split("/");
    const family = isIP(addr ?? "");
    const prefix = Number(bits);
    if (!family || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 6 ? 128 : 32))))
      throw new Error(`${setting}: "${e}" is not an IP address or CIDR range`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits !== undefined) list.addSubnet(addr!, prefix, type);
    else list.addAddress(addr!, type);
  }
  return list;
}

/** Whether `ip` (either family, IPv4-mapped too) is in `list`. */
export function inList(list: BlockList, ip: string): boolean {
  const a = plainIp(ip);
  const family = isIP(a);
  return family !== 0 && list.check(a, family === 6 ? "ipv6" : "ipv4");
}
