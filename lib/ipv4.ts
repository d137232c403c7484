/** IPv4 arithmetic for IPAM and CIDR validation (client-safe, no dependencies). */

export function parseIp(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith("0")))) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export const formatIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

export interface Cidr {
  network: number;
  prefix: number;
  /** Last address (broadcast). */
  broadcast: number;
}

/** "10.1.1.0/24" → its network, prefix and broadcast; null when malformed or host bits are set. */
export function parseCidr(s: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m) return null;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (ip === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return null;
  return { network: ip, prefix, broadcast: ip + size - 1 };
}

export const formatCidr = (c: Cidr) => `${formatIp(c.network)}/${c.prefix}`;

const private1918: Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);

/** Whether the whole range lies in one RFC 1918 block. */
export const isPrivate = (c: Cidr) => private1918.some((p) => c.network >= p.network && c.broadcast <= p.broadcast);

/** The gateway: the first usable address. */
export const gatewayOf = (c: Cidr) => c.network + 1;

/** Whether `ip` may be given to a NIC: inside, not the network, broadcast or gateway address. */
export const assignable = (c: Cidr, ip: number) => ip > c.network + 1 && ip < c.broadcast;

/** How many addresses NICs can get. */
export const hostCount = (c: Cidr) => Math.max(0, c.broadcast - c.network - 2);
