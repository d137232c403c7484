import { DriverError } from "../../types";
import type { NetworkSpec, PortRange } from "../../../network/spec";

/**
 * Every value that goes into a generated file (nft ruleset, dnsmasq and haproxy configuration) is
 * checked here first, so no spec can smuggle syntax into them.
 */
const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_RE = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DOMAIN_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

const bad = (what: string, value: unknown) => new DriverError(`Network spec: bad ${what} ${JSON.stringify(value)}`);

export function ipv4(value: string, what = "address") {
  if (!IPV4_RE.test(value)) throw bad(what, value);
  return value;
}

export function ipToInt(ip: string) {
  return ipv4(ip)
    .split(".")
    .reduce((n, o) => n * 256 + Number(o), 0);
}
export function intToIp(n: number) {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A CIDR in canonical form (network address, prefix); "0.0.0.0/0" for any. */
export function cidr(value: string, what = "CIDR") {
  const [ip, len, extra] = value.split("/");
  if (extra !== undefined || ip === undefined || len === undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32 || !IPV4_RE.test(ip))
    throw bad(what, value);
  return { network: ipToInt(ip), prefix: Number(len), text: `${ip}/${len}` };
}

export function netmaskOf(prefix: number) {
  return intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

export function port(value: number, what = "port") {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw bad(what, value);
  return value;
}

export function portRange(r: PortRange, what = "port range") {
  if (!Array.isArray(r) || r.length !== 2) throw bad(what, r);
  const [a, b] = [port(r[0], what), port(r[1], what)];
  if (a > b) throw bad(what, r);
  return [a, b] as const;
}

export function mac(value: string) {
  if (!MAC_RE.test(value)) throw bad("MAC", value);
  return value;
}
export function hostname(value: string) {
  if (!HOSTNAME_RE.test(value)) throw bad("hostname", value);
  return value;
}
export function domain(value: string) {
  if (!DOMAIN_RE.test(value) || value.length > 253) throw bad("DNS domain", value);
  return value;
}
export function ifname(value: string) {
  if (!IFNAME_RE.test(value)) throw bad("interface name", value);
  return value;
}
export function positiveInt(value: number, what: string, max = 1_000_000_000) {
  if (!Number.isInteger(value) || value < 1 || value > max) throw bad(what, value);
  return value;
}
export function segmentId(segment: NonNullable<NetworkSpec["segment"]>) {
  return positiveInt(segment.id, `${segment.kind} id`, segment.kind === "vlan" ? 4094 : 16_777_215);
}
