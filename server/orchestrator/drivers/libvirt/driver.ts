import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  DriverError,
  type ConsoleEndpoint,
  type DriverVm,
  type DriverVmState,
  type HostFacts,
  type HostRef,
  type HypervisorDriver,
  type VmSpec,
  type VmStats,
  type VolumeInfo,
  type VolumeRef,
} from "../types";
import {
  domainState,
  parseCapabilities,
  parseDomBlkList,
  parseDomState,
  parseDomStats,
  parseNodeInfo,
  parseVersion,
  parseVncDisplay,
  sumCounter,
} from "./parse";
import { env } from "@/server/env";
import { allowedUriProblem, isConnectionTrouble, qemuImg, ToolError, virsh } from "./run";
import { cpuTuneFor, domainXml, NAME_RE, type NicDef } from "./xml";

export interface LibvirtDriverOptions {
  /** NIC of new VMs until Stratus manages networks: "user", "network:<name>", "bridge:<name>" or "none". */
  nic?: string;
  /** Address VNC listens on; default 127.0.0.1 for a local URI, 0.0.0.0 for a remote one. */
  vncListen?: string;
  /** Timeout of one virsh call (a libvirtd that does not answer within it counts as down). */
  callTimeoutMs?: number;
  /** Poll interval while waiting for a graceful shutdown. */
  pollMs?: number;
}

const volumeName = (vm: string) => `${vm}-root.qcow2`;
const serialLogName = (vm: string) => `${vm}-serial.log`;

/** Is the URI this machine's own libvirtd (the disks are then local files for qemu-img)? */
export function isLocalUri(uri: string) {
  return uri === "qemu:///system";
}

/** A locally administered, stable MAC derived from the VM's name. */
export function macFor(name: string) {
  const h = createHash("sha256").update(name).digest();
  return `52:54:00:${[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

/** A stable UUID for a domain name (name-based, version-5 style), so define is idempotent. */
export function uuidFor(name: string) {
  const h = createHash("sha1").update(`stratus-domain:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The libvirt/KVM driver. It talks to each host's libvirtd with `virsh -c <uri>` and handles disk
 * images with `qemu-img`; every value it passes is one argv element (execFile, no shell) and the
 * domain XML is built from typed data with escaping (xml.ts).
 *
 * Volumes are files in the primary storage directory: the template image is copied there once
 * (template-on-primary) and each VM's root disk is a qcow2 overlay on that copy. Disk files are
 * handled by qemu-img on the Stratus server itself, so for a remote host the primary and secondary
 * storage directories must be the same shared paths on both sides (NFS), as in CloudStack.
 */
export class LibvirtDriver implements HypervisorDriver {
  private readonly prevCpu = new Map<string, { cpuNs: number; at: number }>();
  private readonly templateCopies = new Map<string, Promise<{ path: string; virtualSize: number }>>();

  constructor(private readonly opts: LibvirtDriverOptions = {}) {}

  private uri(host: HostRef) {
    const problem = allowedUriProblem(host.address);
    if (problem) throw new DriverError(`Host ${host.name}: ${problem}`);
    return host.address;
  }

  private call(host: HostRef, args: string[], timeoutMs?: number) {
    return virsh(this.uri(host), args, { timeoutMs: timeoutMs ?? this.opts.callTimeoutMs ?? 30_000 }).catch((e: unknown) => {
      if (e instanceof ToolError && e.transient)
        throw new DriverError(`libvirt on host ${host.name} (${host.address}) does not answer: ${e.message}`, true);
      throw e;
    });
  }

  private checkName(name: string) {
    if (!NAME_RE.test(name)) throw new DriverError(`Refusing the domain name ${JSON.stringify(name)}`);
    return name;
  }

  async ping(host: HostRef): Promise<HostFacts & { domainTypes: string[] }> {
    const [version, node, caps] = await Promise.all([
      this.call(host, ["version"]),
      this.call(host, ["nodeinfo"]),
      this.call(host, ["capabilities"]),
    ]);
    const v = parseVersion(version.stdout);
    const n = parseNodeInfo(node.stdout);
    const c = parseCapabilities(caps.stdout);
    let kvmAccelerated = c.domainTypes.includes("kvm");
    if (kvmAccelerated) {
      // libvirt advertises kvm whenever /dev/kvm exists; ask it to really probe, with a deadline,
      // since a /dev/kvm that hangs (seen on nested sandboxes) must not be used.
      kvmAccelerated = await this.call(host, ["domcapabilities", "--virttype", "kvm", "--arch", "x86_64"], 15_000).then(
        (r) => /<domain>kvm<\/domain>/.test(r.stdout),
        () => false,
      );
    }
    return {
      cpuCores: n.cpus,
      cpuMhz: n.mhz || 2000,
      memoryMib: Math.floor(n.memoryKib / 1024),
      cpuModel: c.cpuModel ? `${c.cpuVendor ? `${c.cpuVendor} ` : ""}${c.cpuModel}` : n.cpuModel,
      hypervisorVersion: v.hypervisorVersion,
      libvirtVersion: v.libvirtVersion,
      kvmAccelerated,
      domainTypes: c.domainTypes,
    };
  }

  private nics(name: string): NicDef[] {
    const mode = this.opts.nic ?? env().STRATUS_LIBVIRT_NIC;
    const mac = macFor(name);
    if (mode === "none") return [];
    if (mode === "user") return [{ type: "user", mac }];
    const [kind, source] = mode.split(":", 2);
    if ((kind === "network" || kind === "bridge") && source) return [{ type: kind, source, mac }];
    throw new DriverError(`STRATUS_LIBVIRT_NIC must be user, none, network:<name> or bridge:<name>, not ${mode}`);
  }

  /** The template image on primary storage, copied from the secondary store once per pool. */
  private templateOnPrimary(spec: VmSpec, primary: string) {
    const t = spec.template;
    const format = t.format === "raw" ? "raw" : "qcow2";
    const target = path.join(primary, `template-${t.id}.${format}`);
    const key = `${target}`;
    let p = this.templateCopies.get(key);
    if (!p) {
      p = this.copyTemplate(t.path, target, format);
      this.templateCopies.set(key, p);
      p.catch(() => this.templateCopies.delete(key));
    }
    return p;
  }

  private async copyTemplate(source: string, target: string, format: "qcow2" | "raw") {
    const info = await this.imageInfo(target, format).catch(() => null);
    if (info) return { path: target, virtualSize: info.virtualSize };
    if (!path.isAbsolute(source)) throw new DriverError(`Template image path ${source} is not absolute`);
    try {
      await fs.access(source);
    } catch {
      throw new DriverError(`Template image ${source} is missing on the secondary store; register the template again or restore the file`);
    }
    // Check the source before copying: a broken image fails here with qemu-img's own words.
    await this.imageInfo(source, format);
    const tmp = `${target}.${randomBytes(4).toString("hex")}.part`;
    try {
      await fs.copyFile(source, tmp);
      await fs.rename(tmp, target);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw storageError(e, `copying template ${source} to primary storage ${path.dirname(target)}`);
    }
    const copied = await this.imageInfo(target, format);
    return { path: target, virtualSize: copied.virtualSize };
  }

  private async imageInfo(file: string, format: "qcow2" | "raw") {
    let out: string;
    try {
      out = (await qemuImg(["info", "-U", "-f", format, "--output=json", "--", file], { timeoutMs: 60_000 })).stdout;
    } catch (e) {
      throw new DriverError(`Template image ${file} is not a usable ${format} image: ${e instanceof Error ? e.message : String(e)}`);
    }
    const j = JSON.parse(out) as { "virtual-size": number; "backing-filename"?: string };
    // A template must be self-contained: a backing file would let an image read any host file.
    if (j["backing-filename"])
      throw new DriverError(`Template image ${file} has a backing file (${j["backing-filename"]}); flatten it with qemu-img convert first`);
    return { virtualSize: j["virtual-size"] };
  }

  private async rootVolume(spec: VmSpec): Promise<string> {
    if (!spec.storage)
      throw new DriverError(
        `No primary storage of type local directory serves this host; add one (Infrastructure → Storage) before deploying ${spec.displayName}`,
      );
    const primary = spec.storage.primaryPath;
    if (!path.isAbsolute(primary)) throw new DriverError(`Primary storage path ${primary} is not absolute`);
    try {
      await fs.mkdir(primary, { recursive: true });
    } catch (e) {
      throw storageError(e, `preparing primary storage ${primary}`);
    }
    const volume = path.join(primary, volumeName(spec.name));
    if (await exists(volume)) return volume;
    const base = await this.templateOnPrimary(spec, primary);
    const size = Math.max(base.virtualSize, spec.storage.rootDiskGib * 1024 ** 3);
    const fmt = spec.template.format === "raw" ? "raw" : "qcow2";
    try {
      await qemuImg(["create", "-q", "-f", "qcow2", "-F", fmt, "-b", base.path, "--", volume, String(size)]);
    } catch (e) {
      await fs.rm(volume, { force: true });
      throw storageError(e, `creating the root volume of ${spec.displayName} on ${primary}`);
    }
    return volume;
  }

  async create(host: HostRef, spec: VmSpec): Promise<void> {
    const name = this.checkName(spec.name);
    const uri = this.uri(host);
    const volume = await this.rootVolume(spec);
    const xml = domainXml({
      name,
      uuid: uuidFor(name),
      domainType: host.domainType ?? "qemu",
      vcpus: spec.cpuCores,
      memoryMib: spec.memoryMib,
      cpuTune: cpuTuneFor(spec.cpuCapPercent),
      title: spec.displayName,
      hostname: spec.displayName,
      disks: [{ path: volume, format: "qcow2", target: "vda" }],
      nics: this.nics(name),
      vnc: {
        listen: this.opts.vncListen ?? env().STRATUS_LIBVIRT_VNC_LISTEN ?? (isLocalUri(uri) ? "127.0.0.1" : "0.0.0.0"),
        password: randomBytes(6).toString("base64url").slice(0, 8),
      },
      serialLogPath: path.join(spec.storage!.primaryPath, serialLogName(name)),
      metadata: { template: spec.template.id },
    });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "stratus-xml-"));
    try {
      const file = path.join(dir, "domain.xml");
      await fs.writeFile(file, xml, { mode: 0o600 });
      // define on an existing domain replaces its persistent definition (a changed offering).
      await this.call(host, ["define", "--file", file]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async start(host: HostRef, spec: VmSpec): Promise<void> {
    const name = this.checkName(spec.name);
    try {
      await this.call(host, ["start", "--domain", name], 120_000);
    } catch (e) {
      if (e instanceof DriverError && /already active/i.test(e.message)) return;
      throw e;
    }
  }

  async getState(host: HostRef, name: string): Promise<DriverVmState | "missing"> {
    try {
      return parseDomState((await this.call(host, ["domstate", "--domain", this.checkName(name)])).stdout);
    } catch (e) {
      if (isMissing(e)) return "missing";
      throw e;
    }
  }

  async stop(host: HostRef, name: string, opts: { force: boolean; timeoutMs?: number }): Promise<void> {
    this.checkName(name);
    if (!opts.force) {
      const state = await this.getState(host, name);
      if (state === "missing" || state === "stopped") return;
      try {
        await this.call(host, ["shutdown", "--domain", name, "--mode", "acpi"]);
      } catch (e) {
        if (!(e instanceof DriverError && /not running/i.test(e.message))) throw e;
      }
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      while (Date.now() < deadline) {
        await sleep(this.opts.pollMs ?? 250);
        const s = await this.getState(host, name);
        if (s === "stopped" || s === "missing") return;
      }
      // The guest ignored the ACPI request: fall through to a forced stop.
    }
    try {
      await this.call(host, ["destroy", "--domain", name]);
    } catch (e) {
      if (isMissing(e) || (e instanceof DriverError && /not running/i.test(e.message))) return;
      throw e;
    }
  }

  async reboot(host: HostRef, name: string): Promise<void> {
    this.checkName(name);
    const state = await this.getState(host, name);
    if (state !== "running") throw new DriverError(`VM ${name} is not running on ${host.name} (${state}); start it instead`);
    await this.call(host, ["reboot", "--domain", name, "--mode", "acpi"]);
  }

  async destroy(host: HostRef, name: string): Promise<void> {
    this.checkName(name);
    let disks: string[] = [];
    try {
      disks = parseDomBlkList((await this.call(host, ["domblklist", "--domain", name, "--details"])).stdout)
        .filter((d) => d.device === "disk" && path.basename(d.source) === volumeName(name))
        .map((d) => d.source);
    } catch (e) {
      if (isMissing(e)) return; // already gone (idempotent)
      throw e;
    }
    await this.stop(host, name, { force: true });
    try {
      await this.call(host, ["undefine", "--domain", name, "--nvram"]);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    for (const disk of disks) {
      await fs.rm(disk, { force: true });
      await fs.rm(path.join(path.dirname(disk), serialLogName(name)), { force: true });
    }
  }

  async list(host: HostRef): Promise<DriverVm[]> {
    const stats = parseDomStats((await this.call(host, ["domstats", "--raw", "--state"])).stdout);
    return [...stats].map(([name, s]) => ({ name, state: domainState(Number(s.get("state.state") ?? 0)) }));
  }

  async stats(host: HostRef): Promise<VmStats[]> {
    const out = await this.call(host, [
      "domstats",
      "--raw",
      "--list-active",
      "--state",
      "--cpu-total",
      "--balloon",
      "--vcpu",
      "--block",
      "--interface",
    ]);
    const now = Date.now();
    const result: VmStats[] = [];
    for (const [name, s] of parseDomStats(out.stdout)) {
      const cpuNs = Number(s.get("cpu.time") ?? 0);
      const vcpus = Math.max(1, Number(s.get("vcpu.current") ?? 1));
      const key = `${host.id}:${name}`;
      const prev = this.prevCpu.get(key);
      this.prevCpu.set(key, { cpuNs, at: now });
      let cpuPercent = 0;
      if (prev && now > prev.at && cpuNs >= prev.cpuNs) {
        cpuPercent = Math.min(100, ((cpuNs - prev.cpuNs) / ((now - prev.at) * 1e6 * vcpus)) * 100);
      }
      const rssKib = Number(s.get("balloon.rss") ?? 0);
      const currentKib = Number(s.get("balloon.current") ?? 0);
      const unusedKib = Number(s.get("balloon.unused") ?? NaN);
      // In-guest usage when the balloon reports it, else the QEMU process's resident memory, capped.
      const usedKib =
        Number.isFinite(unusedKib) && currentKib > 0 ? currentKib - unusedKib : Math.min(rssKib || currentKib, currentKib || rssKib);
      result.push({
        name,
        cpuPercent: Math.round(cpuPercent * 10) / 10,
        memoryMib: Math.round(usedKib / 1024),
        diskReadBytes: sumCounter(s, "block", "rd.bytes"),
        diskWriteBytes: sumCounter(s, "block", "wr.bytes"),
        netRxBytes: sumCounter(s, "net", "rx.bytes"),
        netTxBytes: sumCounter(s, "net", "tx.bytes"),
      });
    }
    return result;
  }

  async consoleEndpoint(host: HostRef, name: string): Promise<ConsoleEndpoint> {
    this.checkName(name);
    const display = parseVncDisplay((await this.call(host, ["vncdisplay", "--domain", name])).stdout);
    const xml = (await this.call(host, ["dumpxml", "--domain", name, "--security-info"])).stdout;
    const password = /<graphics[^>]*\spasswd=["']([^"']*)["']/.exec(xml)?.[1];
    const uri = this.uri(host);
    const remote = /^qemu\+\w+:\/\/(?:[^@/]*@)?([^/:]+)/.exec(uri)?.[1];
    const listen = display.listen && display.listen !== "0.0.0.0" ? display.listen : undefined;
    return { host: remote ?? listen ?? "127.0.0.1", port: display.port, password };
  }

  // ── PLACEHOLDER (branch "volumes"): typecheck only. The coordinator replaces this block with the
  // "libstore" engineer's VolumeDriver implementation at merge; nothing here is meant to ship. ──
  createVolume(_host: HostRef, _vol: VolumeRef, _opts: { sizeGib: number; template?: VmSpec["template"] }): Promise<VolumeInfo> {
    return Promise.reject(new DriverError("not yet"));
  }
  deleteVolume(_host: HostRef, _vol: VolumeRef): Promise<void> {
    return Promise.reject(new DriverError("not yet"));
  }
  resizeVolume(_host: HostRef, _vol: VolumeRef, _sizeGib: number, _vmName?: string): Promise<VolumeInfo> {
    return Promise.reject(new DriverError("not yet"));
  }
  attachVolume(_host: HostRef, _vmName: string, _vol: VolumeRef, _target: string): Promise<void> {
    return Promise.reject(new DriverError("not yet"));
  }
  detachVolume(_host: HostRef, _vmName: string, _vol: VolumeRef, _target: string): Promise<void> {
    return Promise.reject(new DriverError("not yet"));
  }
  volumeInfo(_host: HostRef, _vol: VolumeRef): Promise<VolumeInfo | "missing"> {
    return Promise.reject(new DriverError("not yet"));
  }
  // ── end of PLACEHOLDER ──
}

function isMissing(e: unknown) {
  return e instanceof DriverError && /failed to get domain|Domain not found|no domain with matching name/i.test(e.message);
}

function storageError(e: unknown, what: string): DriverError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || /No space left on device/i.test(msg))
    return new DriverError(`Primary storage is full while ${what} (no space left on device); free space or add primary storage`);
  if (code === "EACCES" || code === "EPERM") return new DriverError(`Permission denied while ${what}: ${msg}`);
  return new DriverError(`Failed ${what}: ${msg}`, isConnectionTrouble(msg));
}

async function exists(p: string) {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
