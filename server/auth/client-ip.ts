import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/**
 * The client's address for a request. X-Forwarded-For is believed only from trusted proxies
 * (STRATUS_TRUSTED_PROXIES; none by default): walking the chain from the socket's address
 * leftwards, the first address that is not a trusted proxy is the client.
 */
export const CLIENT_IP_HEADER = "x-stratus-client-ip";

const plain = (ip: string) => (ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

export function trustedProxies(spec: string): BlockList | null {
  const entries = spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) return null;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split("/");
    const family = isIP(addr ?? "");
    if (!family) throw new Error(`STRATUS_TRUSTED_PROXIES: "${e}" is not an IP address or CIDR range`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits !== undefined) list.addSubnet(addr!, Number(bits), type);
    else list.addAddress(addr!, type);
  }
  return list;
}

const trusted = (list: BlockList, ip: string) => {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? "ipv6" : "ipv4");
};

export function clientIp(req: Pick<IncomingMessage, "headers" | "socket">, proxies: BlockList | null): string {
  const socketIp = plain(req.socket.remoteAddress ?? "unknown");
  if (!proxies || !trusted(proxies, socketIp)) return socketIp;
  const raw = req.headers["x-forwarded-for"];
  const chain = (Array.isArray(raw) ? raw.join(",") : (raw ?? ""))
    .split(",")
    .map((s) => plain(s.trim()))
    .filter(Boolean);
  let ip = socketIp;
  while (chain.length && trusted(proxies, ip)) {
    const next = chain.pop()!;
    if (!isIP(next)) break;
    ip = next;
  }
  return ip;
}

/** Overwrites the client-address header with what clientIp finds, so a browser cannot forge it. */
export function stampClientIp(req: IncomingMessage, proxies: BlockList | null) {
  req.headers[CLIENT_IP_HEADER] = clientIp(req, proxies);
}
