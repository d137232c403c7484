import type { IncomingMessage } from "node:http";
import { type BlockList, isIP } from "node:net";
import { cidrList, inList, plainIp as plain } from "@/server/net/cidr";

/**
 * The client's address for a request. X-Forwarded-For is believed only from trusted proxies
 * (STRATUS_TRUSTED_PROXIES; none by default): walking the chain from the socket's address
 * leftwards, the first address that is not a trusted proxy is the client.
 */
export const CLIENT_IP_HEADER = "x-stratus-client-ip";

export function trustedProxies(spec: string): BlockList | null {
  return cidrList(spec, "STRATUS_TRUSTED_PROXIES");
}

const trusted = inList;

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
