/**
 * Volumes on a libvirt host: create (empty, or a qcow2 overlay on the template uploaded once per
 * pool), delete, resize, attach and detach, all with virsh over the host's connection.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DriverError, type HostRef, type IsoRef, type PoolRef, type VmSpec, type VolumeInfo, type VolumeRef } from "../types";
import { parseDomBlkList, parseDomState } from "./parse";
import { qemuImg } from "./run";
import {
  baseFile,
  checkVolumeName,
  gib,
  isVolExisting,
  isVolMissing,
  layers,
  volumeFiles,
  volXml,
  withPool,
  type Layer,
  type VirshCall,
} from "./storage";
import { diskXml, isDiskTarget } from "./xml";

type Template = VmSpec["template"];

/** What the guest sees: the top layer's size; what the volume takes: every layer's allocation. */
export function infoOf(chain: (Layer & VolumeInfo)[]): VolumeInfo {
  return { capacityBytes: chain[0]!.capacityBytes, allocationBytes: chain.reduce((a, l) => a + l.allocationBytes, 0) };
}

export const templateFile = (t: Template) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(t.id)) throw new DriverError(`Refusing the template id ${JSON.stringify(t.id)}`);
  return `template-${t.id}.${t.format === "raw" ? "raw" : "qcow2"}`;
};

/** Writes `text` to a private temporary file for virsh's --file, and removes it afterwards. */
export async function withXmlFile<T>(text: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "stratus-xml-"));
  try {
    const file = path.join(dir, "def.xml");
    await fs.writeFile(file, text, { mode: 0o600 });
    return await fn(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export class LibvirtVolumes {
  /** Template uploads in flight or done, per host and pool: one upload however many deploys wait for it. */
  private readonly uploads = new Map<string, Promise<{ file: string; virtualSize: number }>>();

  constructor(private readonly conn: (host: HostRef) => VirshCall) {}

  async create(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: Template }): Promise<VolumeInfo> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    await this.ensure(host, vol, opts);
    return withPool(host, call, vol.pool, async (pool) => infoOf((await layers(call, pool, name)).chain));
  }

  /**
   * Creates the volume unless it exists, and returns the path of its top layer (the file a domain
   * uses). A new volume costs one call: vol-create-as, its answer telling whether it existed.
   */
  async ensure(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: Template }): Promise<string> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    return withPool(host, call, vol.pool, async (pool) => {
      const size = gib(opts.sizeGib);
      const args = ["vol-create-as", "--pool", pool, "--name", baseFile(name), "--format", "qcow2"];
      if (opts.template) {
        const t = await this.templateOnPool(host, call, pool, opts.template);
        const format = opts.template.format === "raw" ? "raw" : "qcow2";
        args.push("--capacity", String(Math.max(size, t.virtualSize)), "--backing-vol", t.file, "--backing-vol-format", format);
      } else {
        args.push("--capacity", String(size));
      }
      try {
        await call(args, 120_000);
        return path.posix.join(vol.pool.path, baseFile(name));
      } catch (e) {
        if (!isVolExisting(e)) throw storageError(e, `creating volume ${name}`);
      }
      const top = (await layers(call, pool, name)).chain[0];
      if (!top) throw new DriverError(`Volume ${name} on pool ${vol.pool.id} of host ${host.name} exists but cannot be read`);
      return top.path;
    });
  }

  async delete(host: HostRef, vol: VolumeRef): Promise<void> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    await withPool(host, call, vol.pool, async (pool) => {
      const { chain, stray } = await layers(call, pool, name);
      for (const l of [...chain, ...stray]) await deleteFile(call, pool, l.file);
    });
  }

  async info(host: HostRef, vol: VolumeRef): Promise<VolumeInfo | "missing"> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    return withPool(host, call, vol.pool, async (pool) => {
      const { chain } = await layers(call, pool, name);
      return chain.length ? infoOf(chain) : "missing";
    });
  }

  /** The path of the volume's top layer, the file a domain uses. */
  async topPath(host: HostRef, vol: VolumeRef): Promise<string> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    return withPool(host, call, vol.pool, async (pool) => {
      const top = (await layers(call, pool, name)).chain[0];
      if (!top) throw new DriverError(`Volume ${name} does not exist on pool ${vol.pool.id} of host ${host.name}`);
      return top.path;
    });
  }

  async resize(host: HostRef, vol: VolumeRef, sizeGib: number, vmName?: string): Promise<VolumeInfo> {
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    return withPool(host, call, vol.pool, async (pool) => {
      const { chain } = await layers(call, pool, name);
      if (!chain.length) throw new DriverError(`Volume ${name} does not exist on pool ${vol.pool.id} of host ${host.name}`);
      const top = chain[0]!;
      const bytes = gib(sizeGib);
      if (bytes < top.capacityBytes)
        throw new DriverError(
          `Volume ${name} is ${(top.capacityBytes / 1024 ** 3).toFixed(2)} GiB; it cannot shrink to ${sizeGib} GiB (a guest's file system would lose data)`,
        );
      if (bytes === top.capacityBytes) return infoOf(chain);
      const running = vmName ? await diskTarget(call, vmName, top.path, "live") : null;
      if (running) await call(["blockresize", "--domain", vmName!, "--path", top.path, "--size", `${bytes}B`], 120_000);
      else await call(["vol-resize", "--pool", pool, "--vol", top.file, "--capacity", String(bytes)], 120_000);
      return infoOf((await layers(call, pool, name)).chain);
    });
  }

  async attach(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void> {
    if (!isDiskTarget(target) || target === "vda") throw new DriverError(`Refusing the disk target ${JSON.stringify(target)}`);
    const call = this.conn(host);
    const top = await this.topPath(host, vol);
    const running = await isRunning(call, vmName);
    const flags: string[] = [];
    for (const scope of running ? (["config", "live"] as const) : (["config"] as const)) {
      const disks = await domainDisks(call, vmName, scope);
      const taken = disks.find((d) => d.target === target);
      if (taken && taken.source === top) continue;
      if (taken) throw new DriverError(`Disk ${target} of VM ${vmName} is already in use by ${taken.source}`);
      flags.push(`--${scope}`);
    }
    if (!flags.length) return;
    await withXmlFile(diskXml({ path: top, format: "qcow2", target }), (file) =>
      call(["attach-device", "--domain", vmName, "--file", file, ...flags], 60_000),
    );
  }

  async detach(host: HostRef, vmName: string, vol: VolumeRef, target: string, timeoutMs = 30_000): Promise<void> {
    if (!isDiskTarget(target) || target === "vda") throw new DriverError(`Refusing the disk target ${JSON.stringify(target)}`);
    const name = checkVolumeName(vol.name);
    const call = this.conn(host);
    const ours = (source: string) => isLayerPath(name, source);
    const running = await isRunning(call, vmName);
    for (const scope of running ? (["live", "config"] as const) : (["config"] as const)) {
      const disk = (await domainDisks(call, vmName, scope)).find((d) => d.target === target);
      if (!disk) continue;
      if (!ours(disk.source)) throw new DriverError(`Disk ${target} of VM ${vmName} is ${disk.source}, not volume ${name}`);
      await call(["detach-disk", "--domain", vmName, "--target", target, `--${scope}`], 60_000);
      if (scope === "live") {
        // Hot-unplug needs the guest's consent (ACPI): wait until QEMU has really let go.
        const deadline = Date.now() + timeoutMs;
        while ((await domainDisks(call, vmName, "live")).some((d) => d.target === target)) {
          if (Date.now() > deadline)
            throw new DriverError(`VM ${vmName} has not released disk ${target} yet (the guest must allow the unplug)`, true);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  }

  /**
   * Copies a volume to another pool of the same host (an admin's migration): vol-create-from runs
   * qemu-img convert on the host, so the copy is one self-contained base file holding the whole
   * chain (the template too). Its next snapshot is therefore a full one (snapshots.ts only makes an
   * increment on the overlay of the previous snapshot). A copy cut short before is redone.
   */
  async copy(host: HostRef, from: VolumeRef, to: VolumeRef): Promise<VolumeInfo> {
    const name = checkVolumeName(from.name);
    const toName = checkVolumeName(to.name);
    if (from.pool.id === to.pool.id) throw new DriverError(`Volume ${name} is already on pool ${to.pool.id}`);
    const call = this.conn(host);
    const src = await withPool(host, call, from.pool, async (pool) => ({ pool, top: (await layers(call, pool, name)).chain[0] }));
    if (!src.top) throw new DriverError(`Volume ${name} does not exist on pool ${from.pool.id} of host ${host.name}`);
    const top = src.top;
    return withPool(host, call, to.pool, async (pool) => {
      for (const f of await volumeFiles(call, pool, toName)) await deleteFile(call, pool, f.file);
      const xml = `<volume><name>${baseFile(toName)}</name><capacity unit='bytes'>${top.capacityBytes}</capacity><target><format type='qcow2'/></target></volume>`;
      try {
        await withXmlFile(xml, (file) =>
          call(["vol-create-from", "--pool", pool, "--file", file, "--vol", top.file, "--inputpool", src.pool], 3_600_000),
        );
      } catch (e) {
        await deleteFile(call, pool, baseFile(toName)).catch(() => {});
        throw storageError(e, `copying volume ${name} to pool ${to.pool.id}`);
      }
      return infoOf((await layers(call, pool, toName)).chain);
    });
  }

  /**
   * An ISO's image on the pool (uploaded once per pool like a template: it is one, stored raw as
   * `template-<id>.raw`), and its path there.
   */
  async isoOnPool(host: HostRef, pool: PoolRef, iso: IsoRef): Promise<string> {
    const call = this.conn(host);
    return withPool(host, call, pool, async (name) => {
      const { file } = await this.templateOnPool(host, call, name, { id: iso.id, path: iso.path, format: "raw", sizeGib: 0 });
      return path.posix.join(pool.path, file);
    });
  }

  /** The template image on the pool, uploaded from the secondary store once (vol-upload streams it over the connection). */
  private templateOnPool(host: HostRef, call: VirshCall, pool: string, t: Template) {
    const key = `${host.id}/${pool}/${t.id}`;
    let p = this.uploads.get(key);
    if (!p) {
      p = uploadTemplate(call, pool, t);
      this.uploads.set(key, p);
      p.catch(() => this.uploads.delete(key));
    }
    return p;
  }
}

async function uploadTemplate(call: VirshCall, pool: string, t: Template): Promise<{ file: string; virtualSize: number }> {
  const file = templateFile(t);
  const format = t.format === "raw" ? "raw" : "qcow2";
  const source = await sourceImage(t.path, format);
  for (let attempt = 0; ; attempt++) {
    const present = await physicalSize(call, pool, file);
    if (present === source.bytes) return { file, virtualSize: source.virtualSize };
    if (present !== null) {
      // Another process may be uploading it: wait while it grows; a copy that stopped growing is a leftover.
      if (attempt < 60 && (await grows(call, pool, file, present))) continue;
      await deleteFile(call, pool, file);
    }
    try {
      // A raw stub of 0 bytes that the upload then fills: its size afterwards is exactly the source's.
      await call(["vol-create-as", "--pool", pool, "--name", file, "--capacity", "0", "--format", "raw"]);
    } catch (e) {
      if (isVolExisting(e) && attempt < 60) continue;
      throw storageError(e, `preparing template ${t.id} on the host`);
    }
    try {
      await call(["vol-upload", "--pool", pool, "--vol", file, "--file", t.path], 3_600_000);
    } catch (e) {
      await deleteFile(call, pool, file).catch(() => {});
      throw storageError(e, `uploading template ${t.path} to the host`);
    }
    await call(["pool-refresh", "--pool", pool], 120_000);
  }
}

async function grows(call: VirshCall, pool: string, file: string, size: number) {
  await new Promise((r) => setTimeout(r, 2000));
  const now = await physicalSize(call, pool, file);
  return now !== null && now > size;
}

async function physicalSize(call: VirshCall, pool: string, file: string): Promise<number | null> {
  try {
    await call(["pool-refresh", "--pool", pool], 120_000);
    const xml = await volXml(call, pool, file);
    return Number(/<physical unit='bytes'>(\d+)<\/physical>/.exec(xml)?.[1] ?? -1);
  } catch (e) {
    if (isVolMissing(e)) return null;
    throw e;
  }
}

/**
 * The template's image on the secondary store (on the Stratus server): present, of its format, and
 * self-contained (a backing file would let an image read any file of the host).
 */
async function sourceImage(file: string, format: "qcow2" | "raw") {
  if (!path.isAbsolute(file)) throw new DriverError(`Template image path ${file} is not absolute`);
  let bytes: number;
  try {
    bytes = (await fs.stat(file)).size;
  } catch {
    throw new DriverError(`Template image ${file} is missing on the secondary store; register the template again or restore the file`);
  }
  let out: string;
  try {
    out = (await qemuImg(["info", "-U", "-f", format, "--output=json", "--", file], { timeoutMs: 60_000 })).stdout;
  } catch (e) {
    throw new DriverError(`Template image ${file} is not a usable ${format} image: ${e instanceof Error ? e.message : String(e)}`);
  }
  const j = JSON.parse(out) as { "virtual-size": number; "backing-filename"?: string };
  if (j["backing-filename"])
    throw new DriverError(`Template image ${file} has a backing file (${j["backing-filename"]}); flatten it with qemu-img convert first`);
  return { bytes, virtualSize: j["virtual-size"] };
}

export async function deleteFile(call: VirshCall, pool: string, file: string) {
  try {
    await call(["vol-delete", "--pool", pool, "--vol", file], 120_000);
  } catch (e) {
    if (!isVolMissing(e)) throw e;
  }
}

/** Is the path one of volume `name`'s layer files? */
export function isLayerPath(name: string, p: string) {
  const f = path.basename(p);
  return f === baseFile(name) || (f.startsWith(`${name}.s-`) && f.endsWith(".qcow2"));
}

export async function isRunning(call: VirshCall, vmName: string) {
  const s = parseDomState((await call(["domstate", "--domain", vmName])).stdout);
  return s === "running" || s === "paused";
}

/** The VM's disks (or CD-ROMs), of the running domain or of its persistent definition. */
export async function domainDisks(call: VirshCall, vmName: string, scope: "live" | "config", device = "disk") {
  const args = ["domblklist", "--domain", vmName, "--details"];
  if (scope === "config") args.push("--inactive");
  return parseDomBlkList((await call(args)).stdout).filter((d) => d.device === device);
}

/** The target under which the VM has `source` (live: only when it runs), or null. */
export async function diskTarget(call: VirshCall, vmName: string, source: string, scope: "live" | "config") {
  if (scope === "live" && !(await isRunning(call, vmName).catch(() => false))) return null;
  return (await domainDisks(call, vmName, scope)).find((d) => d.source === source)?.target ?? null;
}

export function storageError(e: unknown, what: string): DriverError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/No space left on device/i.test(msg))
    return new DriverError(`Primary storage is full while ${what} (no space left on device); free space or add primary storage`);
  if (/Permission denied/i.test(msg)) return new DriverError(`Permission denied while ${what}: ${msg}`);
  return new DriverError(`Failed ${what}: ${msg}`, e instanceof DriverError && e.transient);
}
