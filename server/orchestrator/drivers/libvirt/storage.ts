/**
 * Primary storage through libvirt's storage API, over the host's own connection: a Stratus
 * local_dir pool is a libvirt `dir` pool on the host, and every volume is a set of files in it
 * handled with vol-* commands. Nothing here touches the Stratus server's file system, so a host
 * reached by qemu+ssh:// needs no path shared with the server.
 *
 * A volume `<name>` is its base file `<name>.qcow2`, and after a snapshot (snapshots.ts) one
 * overlay `<name>.s-<snapshotId>.qcow2` on top of it that collects the writes since that snapshot.
 * The top of that chain is what a domain uses; `layers` finds it from the files' backing chain.
 */
import { storagePathProblem } from "@/lib/validation/infrastructure";
import { DriverError, type HostRef, type PoolRef, type VolumeInfo } from "../types";
import type { RunResult } from "./run";

/** One virsh call on the host's connection (URI checks and transient-error mapping done by the driver). */
export type VirshCall = (args: string[], timeoutMs?: number) => Promise<RunResult>;

/** Stratus-generated names only: no dots (they separate a volume's layers), no slashes. */
export const VOL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const POOL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const baseFile = (name: string) => `${name}.qcow2`;
export const layerFile = (name: string, snapshotId: string) => `${name}.s-${snapshotId}.qcow2`;
/** The snapshot a layer file collects changes since, or null for the base file. */
export function layerTag(name: string, file: string): string | null {
  if (file === baseFile(name)) return null;
  const prefix = `${name}.s-`;
  return file.startsWith(prefix) && file.endsWith(".qcow2") ? file.slice(prefix.length, -".qcow2".length) : null;
}
/** Every file of volume `name` (its layers, and a snapshot's temporary copy): `<name>.qcow2` or `<name>.<x>.qcow2`. */
const isFileOf = (name: string, file: string) => file === baseFile(name) || (file.startsWith(`${name}.`) && file.endsWith(".qcow2"));

export function checkVolumeName(name: string) {
  if (!VOL_NAME_RE.test(name)) throw new DriverError(`Refusing the volume name ${JSON.stringify(name)}`);
  return name;
}

/** The libvirt pool that stands for a Stratus pool on every host. */
export function libvirtPoolName(pool: PoolRef) {
  if (!POOL_ID_RE.test(pool.id)) throw new DriverError(`Refusing the storage pool id ${JSON.stringify(pool.id)}`);
  return `stratus-${pool.id}`;
}

const GiB = 1024 ** 3;
export const gib = (n: number) => Math.round(n * GiB);

function isPoolMissing(e: unknown) {
  return (
    e instanceof DriverError &&
    /Storage pool not found|no storage pool with matching (name|uuid)|storage pool '[^']*' is not active/i.test(e.message)
  );
}
/** vol-create-as of a name the pool already has ("storage volume 'x' exists already"). */
export function isVolExisting(e: unknown) {
  return e instanceof Error && /exists already|already exists|already in use/i.test(e.message);
}
export function isVolMissing(e: unknown) {
  return e instanceof DriverError && /Storage volume not found|no storage vol(ume)? with matching (name|path|key)/i.test(e.message);
}

/**
 * Pools known to be defined and running, per host, so volume operations cost one call, not
 * three; a pool undefined behind Stratus's back is found missing on use and set up again.
 */
const readyPools = new Map<string, Promise<string>>();

export async function ensurePool(host: HostRef, call: VirshCall, pool: PoolRef): Promise<string> {
  const key = `${host.id}/${pool.id}`;
  let p = readyPools.get(key);
  if (!p) {
    p = setUpPool(call, pool);
    readyPools.set(key, p);
    p.catch(() => readyPools.delete(key));
  }
  return p;
}

async function setUpPool(call: VirshCall, pool: PoolRef): Promise<string> {
  if (pool.type !== "local_dir")
    throw new DriverError(`Storage pool ${pool.id} is of type ${pool.type}; libvirt hosts use local_dir pools`);
  const problem = storagePathProblem("local_dir", pool.path);
  if (problem) throw new DriverError(problem);
  const name = libvirtPoolName(pool);
  let xml: string | null = null;
  try {
    xml = (await call(["pool-dumpxml", "--pool", name])).stdout;
  } catch (e) {
    if (!isPoolMissing(e)) throw e;
  }
  if (xml === null) {
    try {
      await call(["pool-define-as", "--name", name, "--type", "dir", "--target", pool.path]);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/conflict with pool/i.test(msg))
        throw new DriverError(`The host already has a libvirt storage pool on ${pool.path} (${msg}); undefine it or choose another path`);
      if (!/already exists/i.test(msg)) throw e;
    }
  } else {
    const target = /<target>\s*<path>([^<]*)<\/path>/.exec(xml)?.[1];
    if (target !== pool.path)
      throw new DriverError(
        `The libvirt pool ${name} on the host points at ${target ?? "nothing"}, not ${pool.path}; undefine it to let Stratus define it again`,
      );
  }
  const info = (await call(["pool-info", "--pool", name])).stdout;
  if (!/^State:\s+running/m.test(info)) {
    await call(["pool-build", "--pool", name]); // creates the directory; harmless when it exists
    try {
      await call(["pool-start", "--pool", name]);
    } catch (e) {
      if (!/already active/i.test(e instanceof Error ? e.message : "")) throw e;
    }
  }
  if (!/^Autostart:\s+yes/m.test(info)) await call(["pool-autostart", "--pool", name]);
  return name;
}

/** Runs `fn` with the pool set up; once more after setting it up again when the host lost it. */
export async function withPool<T>(host: HostRef, call: VirshCall, pool: PoolRef, fn: (poolName: string) => Promise<T>): Promise<T> {
  const name = await ensurePool(host, call, pool);
  try {
    return await fn(name);
  } catch (e) {
    if (!isPoolMissing(e)) throw e;
    readyPools.delete(`${host.id}/${pool.id}`);
    return fn(await ensurePool(host, call, pool));
  }
}

/** Forgets the pools of a host (after a test undefined them). */
export function forgetPools() {
  readyPools.clear();
}

export interface Layer {
  file: string;
  path: string;
  /** Path of the file it is backed by (another layer, or a template), if any. */
  backing: string | null;
}

/** The files of a volume in the pool, listed afresh (files libvirt did not create itself need a refresh). */
export async function volumeFiles(call: VirshCall, poolName: string, name: string): Promise<{ file: string; path: string }[]> {
  await call(["pool-refresh", "--pool", poolName], 120_000);
  const out = (await call(["vol-list", "--pool", poolName])).stdout;
  const rows: { file: string; path: string }[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*(\S+)\s+(\/\S.*?)\s*$/.exec(line);
    if (m && isFileOf(name, m[1]!)) rows.push({ file: m[1]!, path: m[2]! });
  }
  return rows;
}

export async function volXml(call: VirshCall, poolName: string, file: string) {
  return (await call(["vol-dumpxml", "--pool", poolName, "--vol", file])).stdout;
}

export function parseVolXml(xml: string): VolumeInfo & { backing: string | null; path: string; format: string } {
  const num = (tag: string) => Number(new RegExp(`<${tag} unit='bytes'>(\\d+)</${tag}>`).exec(xml)?.[1] ?? NaN);
  const target = /<target>([\s\S]*?)<\/target>/.exec(xml)?.[1] ?? "";
  const backingStore = /<backingStore>([\s\S]*?)<\/backingStore>/.exec(xml)?.[1] ?? "";
  const capacityBytes = num("capacity");
  const allocationBytes = num("allocation");
  if (!Number.isFinite(capacityBytes) || !Number.isFinite(allocationBytes))
    throw new DriverError(`Unexpected vol-dumpxml output: ${xml.slice(0, 200)}`);
  return {
    capacityBytes,
    allocationBytes,
    path: /<path>([^<]*)<\/path>/.exec(target)?.[1] ?? "",
    format: /<format type='([^']*)'/.exec(target)?.[1] ?? "raw",
    backing: /<path>([^<]*)<\/path>/.exec(backingStore)?.[1] ?? null,
  };
}

/**
 * The volume's layers from top to base (empty when it does not exist), plus files of it left out of
 * the chain by an interrupted operation (`stray`).
 */
export async function layers(call: VirshCall, poolName: string, name: string): Promise<{ chain: (Layer & VolumeInfo)[]; stray: Layer[] }> {
  const files = await volumeFiles(call, poolName, name);
  const all = await Promise.all(
    files.map(async (f) => {
      const x = parseVolXml(await volXml(call, poolName, f.file));
      return { file: f.file, path: f.path, backing: x.backing, capacityBytes: x.capacityBytes, allocationBytes: x.allocationBytes };
    }),
  );
  const base = all.find((l) => l.file === baseFile(name));
  if (!base) return { chain: [], stray: all };
  // Walk up from the base: the layer backed by the current one is the next.
  const chain = [base];
  for (;;) {
    const next = all.find((l) => l.backing === chain[0]!.path && !chain.includes(l));
    if (!next) break;
    chain.unshift(next);
  }
  return { chain, stray: all.filter((l) => !chain.includes(l)) };
}

/** Reads a volume's capacity and allocation (of its top layer: what the guest sees). */
export async function topInfo(call: VirshCall, poolName: string, name: string): Promise<(Layer & VolumeInfo) | null> {
  return (await layers(call, poolName, name)).chain[0] ?? null;
}

/**
 * What the pool's volumes take on disk: libvirt's allocation of each volume (`vol-info --bytes`,
 * the file's blocks, after a refresh so files made outside libvirt count), summed.
 */
export async function poolAllocation(call: VirshCall, poolName: string): Promise<{ allocationBytes: number; volumes: number }> {
  await call(["pool-refresh", "--pool", poolName], 120_000);
  // libvirt 9.0's vol-list has no --name: rows of "<name> <path>" (Stratus's files have no spaces).
  const names = (await call(["vol-list", "--pool", poolName])).stdout
    .split("\n")
    .map((line) => /^\s*(\S+)\s+\/\S/.exec(line)?.[1])
    .filter((n): n is string => !!n);
  let allocationBytes = 0;
  for (const vol of names) {
    const info = (await call(["vol-info", "--pool", poolName, "--vol", vol, "--bytes"]).catch(() => ({ stdout: "" }))).stdout;
    const m = /Allocation:\s+(\d+)\s+bytes/.exec(info);
    if (m) allocationBytes += Number(m[1]);
  }
  return { allocationBytes, volumes: names.length };
}
