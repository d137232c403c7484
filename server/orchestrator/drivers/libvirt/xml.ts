/**
 * Domain XML from typed data. Every text value and attribute goes through `esc`, so no name, path
 * or label can close an element or open a new one; numbers are checked to be finite integers.
 */
export function esc(value: string | number): string {
  const s = String(value);
  // XML 1.0 forbids most control characters even when escaped: drop them.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;"));
}

function int(name: string, n: number, min = 0): number {
  if (!Number.isInteger(n) || n < min) throw new Error(`Domain XML: ${name} must be an integer ≥ ${min}, got ${n}`);
  return n;
}

/** A tiny element builder: attributes and text are escaped, children are elements. */
type Child = XmlNode | null | undefined | false;
export interface XmlNode {
  tag: string;
  attrs: Record<string, string | number | undefined>;
  children: Child[];
  text?: string | number;
}
export function el(tag: string, attrs: XmlNode["attrs"] = {}, ...children: (Child | string | number)[]): XmlNode {
  if (!/^[a-z][a-z0-9_:-]*$/i.test(tag)) throw new Error(`Domain XML: bad element name ${tag}`);
  const texts = children.filter((c): c is string | number => typeof c === "string" || typeof c === "number");
  const nodes = children.filter((c): c is Child => typeof c !== "string" && typeof c !== "number");
  return { tag, attrs, children: nodes, text: texts.length ? texts.join("") : undefined };
}
export function render(node: XmlNode, indent = ""): string {
  const attrs = Object.entries(node.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (!/^[a-z][a-z0-9_:-]*$/i.test(k)) throw new Error(`Domain XML: bad attribute name ${k}`);
      return ` ${k}="${esc(v!)}"`;
    })
    .join("");
  const kids = node.children.filter((c): c is XmlNode => !!c);
  if (kids.length === 0 && node.text === undefined) return `${indent}<${node.tag}${attrs}/>`;
  if (kids.length === 0) return `${indent}<${node.tag}${attrs}>${esc(node.text!)}</${node.tag}>`;
  return `${indent}<${node.tag}${attrs}>\n${kids.map((k) => render(k, indent + "  ")).join("\n")}\n${indent}</${node.tag}>`;
}

export interface DiskDef {
  path: string;
  format: "qcow2" | "raw";
  /** vda, vdb, … */
  target: string;
  readonly?: boolean;
}
export type NicDef =
  { type: "user"; mac: string } | { type: "network"; source: string; mac: string } | { type: "bridge"; source: string; mac: string };

export interface DomainDef {
  /** Stratus-generated (i-<number>). */
  name: string;
  /** Stable per name, so a redefinition (changed offering) replaces the domain instead of clashing. */
  uuid: string;
  domainType: "kvm" | "qemu";
  vcpus: number;
  memoryMib: number;
  /**
   * CPU cap: the most each vCPU may run in every `periodUs` (CFS bandwidth, libvirt's <cputune>
   * period/quota); absent = uncapped.
   */
  cpuTune?: { periodUs: number; quotaUs: number };
  /** Shown in libvirt as the domain's title; any string (escaped). */
  title?: string;
  /** SMBIOS system serial: the guest reads its hostname from it. */
  hostname?: string;
  disks: DiskDef[];
  /** Every domain has one CD-ROM (IDE hdc, so media can change while it runs): with this image in it, or empty. */
  cdrom?: { path: string | null; boot: boolean };
  nics: NicDef[];
  vnc: { listen: string; password?: string };
  serialLogPath?: string;
  metadata?: Record<string, string>;
}

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A unicast MAC (libvirt's 52:54:00 ones, or IPAM's locally administered ones). */
const MAC_RE = /^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/;
const TARGET_RE = /^(vd|sd|hd)[a-z]$/;

/** CFS period of a capped VM (libvirt's default, 100 ms). */
export const CPU_PERIOD_US = 100_000;

/**
 * The <cputune> of a VM whose offering caps its CPU at `percent` of one host core per vCPU
 * (offering MHz ÷ host MHz): quota = period × share, at least libvirt's minimum of 1 ms.
 */
export function cpuTuneFor(percent: number | undefined): DomainDef["cpuTune"] {
  if (percent === undefined || !(percent > 0) || percent >= 100) return undefined;
  return { periodUs: CPU_PERIOD_US, quotaUs: Math.max(1000, Math.round((CPU_PERIOD_US * percent) / 100)) };
}

function diskNode(disk: DiskDef): XmlNode {
  if (!disk.path.startsWith("/")) throw new Error(`Domain XML: disk path must be absolute: ${disk.path}`);
  if (!TARGET_RE.test(disk.target)) throw new Error(`Domain XML: bad disk target ${disk.target}`);
  return el(
    "disk",
    { type: "file", device: "disk" },
    el("driver", { name: "qemu", type: disk.format, cache: "none", discard: "unmap" }),
    el("source", { file: disk.path }),
    el("target", { dev: disk.target, bus: "virtio" }),
    disk.readonly ? el("readonly") : null,
  );
}

/** The CD-ROM drive (hdc): read-only, raw, empty when `path` is null. */
export const CDROM_TARGET = "hdc";
function cdromNode(path: string | null): XmlNode {
  if (path !== null && !path.startsWith("/")) throw new Error(`Domain XML: ISO path must be absolute: ${path}`);
  return el(
    "disk",
    { type: "file", device: "cdrom" },
    el("driver", { name: "qemu", type: "raw" }),
    path !== null ? el("source", { file: path }) : null,
    el("target", { dev: CDROM_TARGET, bus: "ide" }),
    el("readonly"),
  );
}

/** One virtio disk, for attach-device / update-device (the same element the domain XML has). */
export function diskXml(disk: DiskDef): string {
  return render(diskNode(disk)) + "\n";
}

export function isDiskTarget(target: string) {
  return TARGET_RE.test(target);
}

/**
 * A transient helper domain that never runs a CPU (started paused): it only opens a volume's
 * chain in QEMU so libvirt's block jobs (blockcommit) can work on a volume no VM has running.
 */
export function helperDomainXml(name: string, domainType: "kvm" | "qemu", disk: DiskDef): string {
  if (!NAME_RE.test(name)) throw new Error(`Domain XML: bad domain name ${JSON.stringify(name)}`);
  return (
    render(
      el(
        "domain",
        { type: domainType },
        el("name", {}, name),
        el("memory", { unit: "MiB" }, 32),
        el("vcpu", {}, 1),
        el("os", {}, el("type", { arch: "x86_64", machine: "pc" }, "hvm")),
        el("on_poweroff", {}, "destroy"),
        el("devices", {}, diskNode(disk)),
      ),
    ) + "\n"
  );
}

export function domainXml(d: DomainDef): string {
  if (!NAME_RE.test(d.name)) throw new Error(`Domain XML: bad domain name ${JSON.stringify(d.name)}`);
  if (d.domainType !== "kvm" && d.domainType !== "qemu") throw new Error("Domain XML: domain type must be kvm or qemu");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(d.uuid)) throw new Error(`Domain XML: bad UUID ${d.uuid}`);
  for (const nic of d.nics) if (!MAC_RE.test(nic.mac)) throw new Error(`Domain XML: bad MAC ${nic.mac}`);
  const node = el(
    "domain",
    { type: d.domainType },
    el("name", {}, d.name),
    el("uuid", {}, d.uuid),
    d.title ? el("title", {}, d.title) : null,
    d.metadata
      ? el("metadata", {}, el("stratus:instance", { "xmlns:stratus": "https://stratus.dev/xmlns/instance/1", ...d.metadata }))
      : null,
    el("memory", { unit: "MiB" }, int("memory", d.memoryMib, 16)),
    el("currentMemory", { unit: "MiB" }, int("memory", d.memoryMib, 16)),
    el("vcpu", { placement: "static" }, int("vcpus", d.vcpus, 1)),
    d.cpuTune
      ? el(
          "cputune",
          {},
          el("period", {}, int("cputune period", d.cpuTune.periodUs, 1000)),
          el("quota", {}, int("cputune quota", d.cpuTune.quotaUs, 1000)),
        )
      : null,
    d.hostname
      ? el(
          "sysinfo",
          { type: "smbios" },
          el("system", {}, el("entry", { name: "manufacturer" }, "Stratus"), el("entry", { name: "serial" }, d.hostname)),
        )
      : null,
    el(
      "os",
      {},
      el("type", { arch: "x86_64", machine: "pc" }, "hvm"),
      d.cdrom?.boot && d.cdrom.path ? el("boot", { dev: "cdrom" }) : null,
      el("boot", { dev: "hd" }),
      d.hostname ? el("smbios", { mode: "sysinfo" }) : null,
    ),
    el("features", {}, el("acpi"), el("apic")),
    d.domainType === "kvm" ? el("cpu", { mode: "host-passthrough" }) : null,
    el("clock", { offset: "utc" }),
    el("on_poweroff", {}, "destroy"),
    el("on_reboot", {}, "restart"),
    el("on_crash", {}, "destroy"),
    el(
      "devices",
      {},
      ...d.disks.map(diskNode),
      cdromNode(d.cdrom?.path ?? null),
      ...d.nics.map((nic) =>
        el(
          "interface",
          { type: nic.type },
          el("mac", { address: nic.mac }),
          nic.type === "network"
            ? el("source", { network: nic.source })
            : nic.type === "bridge"
              ? el("source", { bridge: nic.source })
              : null,
          el("model", { type: "virtio" }),
        ),
      ),
      el(
        "serial",
        { type: "pty" },
        d.serialLogPath ? el("log", { file: d.serialLogPath, append: "off" }) : null,
        el("target", { port: 0 }),
      ),
      el("console", { type: "pty" }, el("target", { type: "serial", port: 0 })),
      el("input", { type: "tablet", bus: "usb" }),
      el(
        "graphics",
        { type: "vnc", port: -1, autoport: "yes", listen: d.vnc.listen, passwd: d.vnc.password },
        el("listen", { type: "address", address: d.vnc.listen }),
      ),
      el("video", {}, el("model", { type: "vga", vram: 16384, heads: 1 })),
      el("memballoon", { model: "virtio" }, el("stats", { period: 10 })),
    ),
  );
  return render(node) + "\n";
}
