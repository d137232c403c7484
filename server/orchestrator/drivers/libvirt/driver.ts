import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import {
  DriverError,
  type ConsoleEndpoint,
  type DriverVm,
  type DriverVmState,
  type HostFacts,
  type HostRef,
  type HypervisorDriver,
  type IsoRef,
  type PoolRef,
  type PoolUsageReader,
  type VolumeCopier,
  type ExportedImage,
  type SnapshotFile,
  type TakeSnapshotOptions,
  type VmSpec,
  type VmStats,
  type VolumeInfo,
  type VolumeRef,
} from "../types";
import {
  networkDevices,
  type NetworkDriver,
  type NetworkRole,
  type NetworkSpec,
  type SecurityGroupDriver,
  type VmFirewallSpec,
} from "../../network/spec";
import { LibvirtNetworks } from "./network/router";
import { LibvirtSecurityGroups } from "./network/security-groups";
import {
  domainState,
  parseCapabilities,
  parseDomBlkList,
  parseDomState,
  parseDomStats,
  parseNodeInfo,
  parseVersion,
  parseVncDisplay,
  nicCounters,
  sumCounter,
} from "./parse";
import { env } from "@/server/env";
import { allowedUriProblem, ToolError, virsh } from "./run";
import { ejectIso, insertIso } from "./iso";
import { isHelperDomain, LibvirtSnapshots } from "./snapshots";
import { LibvirtVmSnapshots } from "./vm-snapshots";
import { LibvirtImageMaker } from "./images-from";
import { isVolMissing, poolAllocation, volumeFiles, withPool, type VirshCall } from "./storage";
import { deleteFile, isLayerPath, LibvirtVolumes, withXmlFile } from "./volumes";
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
  /** Where network routers keep their generated files on each host (default /run/stratus/networks). */
  networkStateDir?: string;
}

/** The root volume of VM `i-12` is `i-12-root` (its base file i-12-root.qcow2). */
export const rootVolumeName = (vm: string) => `${vm}-root`;
const serialLogName = (vm: string) => `${vm}-serial.log`;

/** Is the URI this machine's own libvirtd? */
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
 * The libvirt/KVM driver. It talks to each host's libvirtd with `virsh -c <uri>`; every value it
 * passes is one argv element (execFile, no shell) and the domain XML is built from typed data with
 * escaping (xml.ts).
 *
 * Storage goes through libvirt's storage API on the same connection (storage.ts, volumes.ts): a
 * primary pool is a libvirt dir pool on the host, the template is uploaded into it once
 * (vol-upload, streamed from the secondary store on the Stratus server) and each VM's root disk is
 * a qcow2 volume backed by it. A remote host therefore shares nothing with the Stratus server.
 */
export class LibvirtDriver implements HypervisorDriver, VolumeCopier, NetworkDriver, SecurityGroupDriver, PoolUsageReader {
  private readonly prevCpu = new Map<string, { cpuNs: number; at: number }>();
  readonly volumes = new LibvirtVolumes((host) => this.conn(host));
  /** Volume snapshots on secondary storage: the SnapshotDriver methods below adapt it. */
  readonly snapshots = new LibvirtSnapshots((host) => this.conn(host));
  /** VM snapshots: internal qcow2 snapshots (vm-snapshots.ts says why and what this libvirt allows). */
  readonly vmSnapshots = new LibvirtVmSnapshots((host) => this.conn(host));
  /** Volumes and templates made from snapshots and volumes: the ImageMaker methods below adapt it. */
  readonly images = new LibvirtImageMaker((host) => this.conn(host), this.volumes, this.snapshots);

  /** Guest networks: bridge, router namespace, dnsmasq, nftables, haproxy (network/router.ts). */
  readonly networks: LibvirtNetworks;

  /** Security groups: one nftables bridge table per VM (network/security-groups.ts). */
  readonly securityGroups: LibvirtSecurityGroups;

  constructor(private readonly opts: LibvirtDriverOptions = {}) {
    this.networks = new LibvirtNetworks({ stateRoot: opts.networkStateDir });
    this.securityGroups = new LibvirtSecurityGroups({ stateRoot: opts.networkStateDir && `${opts.networkStateDir}/secgroups` });
  }

  applySecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<void> {
    return this.securityGroups.applySecurityGroups(host, spec);
  }
  checkSecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<string[]> {
    return this.securityGroups.checkSecurityGroups(host, spec);
  }
  removeSecurityGroups(host: HostRef, vmName: string): Promise<void> {
    return this.securityGroups.removeSecurityGroups(host, vmName);
  }

  applyNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<void> {
    return this.networks.applyNetwork(host, spec, role);
  }
  destroyNetwork(host: HostRef, spec: Pick<NetworkSpec, "id" | "key">): Promise<void> {
    return this.networks.destroyNetwork(host, spec);
  }
  checkNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<string[]> {
    return this.networks.checkNetwork(host, spec, role);
  }

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

  /**
   * The domain's NICs: with `spec.nics`, one virtio NIC per Stratus network on the network's bridge
   * (which applyNetwork made on this host) with the MAC from IPAM; without, the configured default.
   */
  private nics(name: string, nics?: VmSpec["nics"]): NicDef[] {
    if (nics)
      return [...nics]
        .sort((a, b) => a.deviceId - b.deviceId)
        .map((n) => ({ type: "bridge", source: networkDevices(n.networkKey).bridge, mac: n.mac.toLowerCase() }));
    const mode = this.opts.nic ?? env().STRATUS_LIBVIRT_NIC;
    const mac = macFor(name);
    if (mode === "none") return [];
    if (mode === "user") return [{ type: "user", mac }];
    const [kind, source] = mode.split(":", 2);
    if ((kind === "network" || kind === "bridge") && source) return [{ type: kind, source, mac }];
    throw new DriverError(`STRATUS_LIBVIRT_NIC must be user, none, network:<name> or bridge:<name>, not ${mode}`);
  }

  private conn(host: HostRef): VirshCall {
    return (args, timeoutMs) => this.call(host, args, timeoutMs);
  }

  private rootVolume(spec: VmSpec): VolumeRef {
    if (!spec.storage)
      throw new DriverError(
        `No primary storage of type local directory serves this host; add one (Infrastructure → Storage) before deploying ${spec.displayName}`,
      );
    return { pool: { id: spec.storage.poolId, type: "local_dir", path: spec.storage.primaryPath }, name: rootVolumeName(spec.name) };
  }

  createVolume(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: VmSpec["template"] }): Promise<VolumeInfo> {
    return this.volumes.create(host, vol, opts);
  }
  deleteVolume(host: HostRef, vol: VolumeRef): Promise<void> {
    return this.volumes.delete(host, vol);
  }
  resizeVolume(host: HostRef, vol: VolumeRef, sizeGib: number, vmName?: string): Promise<VolumeInfo> {
    return this.volumes.resize(host, vol, sizeGib, vmName === undefined ? undefined : this.checkName(vmName));
  }
  attachVolume(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void> {
    return this.volumes.attach(host, this.checkName(vmName), vol, target);
  }
  detachVolume(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void> {
    return this.volumes.detach(host, this.checkName(vmName), vol, target);
  }
  takeSnapshot(host: HostRef, vol: VolumeRef, opts: TakeSnapshotOptions): Promise<SnapshotFile> {
    return this.snapshots.take(host, vol, opts);
  }

  restoreSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, opts: { vmName?: string }): Promise<VolumeInfo> {
    return this.snapshots.restore(host, vol, snap, opts);
  }

  /** Snapshot files live on the Stratus server's secondary store: no host is involved. */
  deleteSnapshot(_host: HostRef, snap: SnapshotFile, children: SnapshotFile[]): Promise<SnapshotFile[]> {
    return this.snapshots.delete(snap, children);
  }

  createVolumeFromSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, sizeGib: number): Promise<VolumeInfo> {
    return this.images.volumeFromSnapshot(host, vol, snap, sizeGib);
  }

  /** Snapshot files and templates both live on the Stratus server's secondary store: no host is involved. */
  exportSnapshot(_host: HostRef, snap: SnapshotFile, target: string): Promise<ExportedImage> {
    return this.images.exportSnapshot(snap, target);
  }

  exportVolume(host: HostRef, vol: VolumeRef, target: string): Promise<ExportedImage> {
    return this.images.exportVolume(host, vol, target);
  }

  volumeInfo(host: HostRef, vol: VolumeRef): Promise<VolumeInfo | "missing"> {
    return this.volumes.info(host, vol);
  }
  copyVolume(host: HostRef, from: VolumeRef, to: VolumeRef): Promise<VolumeInfo> {
    return this.volumes.copy(host, from, to);
  }
  poolUsage(host: HostRef, pool: PoolRef): Promise<{ allocationBytes: number; volumes: number }> {
    const call = this.conn(host);
    return withPool(host, call, pool, (name) => poolAllocation(call, name));
  }

  async attachIso(host: HostRef, vmName: string, pool: PoolRef | null, iso: IsoRef): Promise<void> {
    const name = this.checkName(vmName);
    if (!pool) throw new DriverError(`VM ${name} has no primary storage pool to put the ISO on`);
    await insertIso(this.conn(host), name, await this.volumes.isoOnPool(host, pool, iso));
  }
  detachIso(host: HostRef, vmName: string): Promise<void> {
    return ejectIso(this.conn(host), this.checkName(vmName));
  }

  async create(host: HostRef, spec: VmSpec): Promise<void> {
    const name = this.checkName(spec.name);
    const uri = this.uri(host);
    const root = this.rootVolume(spec);
    const rootPath = await this.volumes.ensure(host, root, { sizeGib: spec.storage!.rootDiskGib, template: spec.template });
    const data = [];
    for (const v of spec.volumes ?? [])
      data.push({ path: await this.volumes.topPath(host, v.vol), format: "qcow2" as const, target: v.target });
    const isoPath = spec.iso ? await this.volumes.isoOnPool(host, root.pool, spec.iso.iso) : null;
    const xml = domainXml({
      name,
      uuid: uuidFor(name),
      domainType: host.domainType ?? "qemu",
      vcpus: spec.cpuCores,
      memoryMib: spec.memoryMib,
      cpuTune: cpuTuneFor(spec.cpuCapPercent),
      title: spec.displayName,
      hostname: spec.displayName,
      disks: [{ path: rootPath, format: "qcow2", target: "vda" }, ...data],
      cdrom: { path: isoPath, boot: spec.iso?.boot ?? false },
      nics: this.nics(name, spec.nics),
      vnc: {
        listen: this.opts.vncListen ?? env().STRATUS_LIBVIRT_VNC_LISTEN ?? (isLocalUri(uri) ? "127.0.0.1" : "0.0.0.0"),
        password: randomBytes(6).toString("base64url").slice(0, 8),
      },
      serialLogPath: path.join(root.pool.path, serialLogName(name)),
      metadata: { template: spec.template.id },
    });
    // define on an existing domain replaces its persistent definition (a changed offering).
    await withXmlFile(xml, (file) => this.call(host, ["define", "--file", file]));
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

  /** Undefines the VM and deletes its root volume and serial log (data volumes stay: they are detached, not destroyed). */
  async destroy(host: HostRef, name: string): Promise<void> {
    this.checkName(name);
    let rootDisks: string[] = [];
    try {
      rootDisks = parseDomBlkList((await this.call(host, ["domblklist", "--domain", name, "--details", "--inactive"])).stdout)
        .filter((d) => d.device === "disk" && isLayerPath(rootVolumeName(name), d.source))
        .map((d) => d.source);
    } catch (e) {
      if (isMissing(e)) return; // already gone (idempotent)
      throw e;
    }
    await this.stop(host, name, { force: true });
    try {
      // --snapshots-metadata: a domain with VM snapshots is refused otherwise (their data goes with its disks).
      await this.call(host, ["undefine", "--domain", name, "--nvram", "--snapshots-metadata"]);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    const call = this.conn(host);
    for (const disk of rootDisks) {
      let pool: string;
      try {
        pool = (await this.call(host, ["vol-pool", "--vol", disk])).stdout.trim();
      } catch (e) {
        if (isVolMissing(e)) continue;
        throw e;
      }
      const files = await volumeFiles(call, pool, rootVolumeName(name));
      for (const f of files) await deleteFile(call, pool, f.file);
      await deleteFile(call, pool, serialLogName(name));
    }
  }

  async list(host: HostRef): Promise<DriverVm[]> {
    const stats = parseDomStats((await this.call(host, ["domstats", "--raw", "--state"])).stdout);
    // Snapshot commits' paused helper domains (snapshots.ts) are Stratus's own, never a VM.
    return [...stats]
      .filter(([name]) => !isHelperDomain(name))
      .map(([name, s]) => ({ name, state: domainState(Number(s.get("state.state") ?? 0)) }));
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
        nics: nicCounters(s),
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
}

function isMissing(e: unknown) {
  return e instanceof DriverError && /failed to get domain|Domain not found|no domain with matching name/i.test(e.message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
