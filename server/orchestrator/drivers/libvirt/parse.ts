/** Parsers of virsh's output (C locale). Small and strict: unexpected output is an error, not a guess. */
import type { DriverVmState } from "../types";

export interface NodeInfo {
  cpuModel: string;
  cpus: number;
  mhz: number;
  memoryKib: number;
}

export function parseNodeInfo(out: string): NodeInfo {
  const field = (label: string) => new RegExp(`^${label}:\\s*(.+)$`, "m").exec(out)?.[1]?.trim();
  const cpus = Number(field("CPU\\(s\\)"));
  const mhz = Number(field("CPU frequency")?.split(/\s+/)[0]);
  const memoryKib = Number(field("Memory size")?.split(/\s+/)[0]);
  if (!Number.isFinite(cpus) || !Number.isFinite(memoryKib)) throw new Error(`Unexpected virsh nodeinfo output: ${out.slice(0, 200)}`);
  return { cpuModel: field("CPU model") ?? "unknown", cpus, mhz: Number.isFinite(mhz) && mhz > 0 ? mhz : 0, memoryKib };
}

export interface VersionInfo {
  libvirtVersion?: string;
  hypervisorVersion?: string;
}
export function parseVersion(out: string): VersionInfo {
  return {
    libvirtVersion: /Using library: libvirt ([\d.]+)/.exec(out)?.[1],
    hypervisorVersion: /Running hypervisor: (.+)/.exec(out)?.[1]?.trim(),
  };
}

export interface CapsInfo {
  cpuModel?: string;
  cpuVendor?: string;
  /** Domain types offered for x86_64 guests ("qemu", "kvm"). */
  domainTypes: string[];
}
export function parseCapabilities(xml: string): CapsInfo {
  const host = /<host>([\s\S]*?)<\/host>/.exec(xml)?.[1] ?? "";
  const cpu = /<cpu>([\s\S]*?)<\/cpu>/.exec(host)?.[1] ?? "";
  const domainTypes = new Set<string>();
  for (const guest of xml.matchAll(/<guest>([\s\S]*?)<\/guest>/g)) {
    if (!/<arch name=["']x86_64["']/.test(guest[1]!)) continue;
    for (const d of guest[1]!.matchAll(/<domain type=["'](\w+)["']/g)) domainTypes.add(d[1]!);
  }
  return {
    cpuModel: /<model>([^<]+)<\/model>/.exec(cpu)?.[1],
    cpuVendor: /<vendor>([^<]+)<\/vendor>/.exec(cpu)?.[1],
    domainTypes: [...domainTypes],
  };
}

/** libvirt's virDomainState numbers, as domstats prints them. */
export function domainState(n: number): DriverVmState {
  switch (n) {
    case 1: // running
    case 2: // blocked
    case 4: // shutting down (still running)
      return "running";
    case 3: // paused
    case 7: // pmsuspended
      return "paused";
    default: // 0 nostate, 5 shutoff, 6 crashed
      return "stopped";
  }
}

export function parseDomState(out: string): DriverVmState {
  const s = out.trim().split("\n")[0]!.trim();
  if (s === "running" || s === "in shutdown" || s === "idle") return "running";
  if (s === "paused" || s === "pmsuspended") return "paused";
  return "stopped";
}

/** `virsh domstats --raw`: "Domain: 'name'" followed by "  key=value" lines. */
export function parseDomStats(out: string): Map<string, Map<string, string>> {
  const all = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | null = null;
  for (const line of out.split("\n")) {
    const head = /^Domain: '(.*)'\s*$/.exec(line);
    if (head) {
      cur = new Map();
      all.set(head[1]!, cur);
      continue;
    }
    const kv = /^\s+([^=]+)=(.*)$/.exec(line);
    if (kv && cur) cur.set(kv[1]!, kv[2]!);
  }
  return all;
}

/** Sums a per-device counter, e.g. block.<n>.rd.bytes over every n. */
export function sumCounter(stats: Map<string, string>, prefix: "block" | "net", suffix: string): number {
  const count = Number(stats.get(`${prefix}.count`) ?? 0);
  let total = 0;
  for (let i = 0; i < count; i++) total += Number(stats.get(`${prefix}.${i}.${suffix}`) ?? 0) || 0;
  return total;
}

/**
 * Each interface's byte counters from `virsh domstats --interface` (net.<i>.rx.bytes/tx.bytes), by
 * index: libvirt lists a domain's interfaces in the order of its XML, which is the NICs' device order.
 */
export function nicCounters(stats: Map<string, string>): { index: number; rxBytes: number; txBytes: number }[] {
  const count = Number(stats.get("net.count") ?? 0);
  return Array.from({ length: count }, (_, index) => ({
    index,
    rxBytes: Number(stats.get(`net.${index}.rx.bytes`) ?? 0) || 0,
    txBytes: Number(stats.get(`net.${index}.tx.bytes`) ?? 0) || 0,
  }));
}

/** `virsh domblklist --details`: Type Device Target Source. */
export function parseDomBlkList(out: string): { device: string; target: string; source: string }[] {
  const rows: { device: string; target: string; source: string }[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
    if (!m || m[1] === "Type" || m[1]!.startsWith("-")) continue;
    rows.push({ device: m[2]!, target: m[3]!, source: m[4]! });
  }
  return rows;
}

/** `virsh vncdisplay` prints "127.0.0.1:0" or ":0": display n is port 5900 + n. */
export function parseVncDisplay(out: string): { listen?: string; port: number } {
  const m = /^(.*):(\d+)\s*$/m.exec(out.trim());
  if (!m) throw new Error(`Unexpected vncdisplay output: ${out.trim()}`);
  return { listen: m[1] || undefined, port: 5900 + Number(m[2]) };
}
