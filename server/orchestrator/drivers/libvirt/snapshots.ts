/**
 * Volume snapshots on secondary storage, with incremental chains (docs/storage.md says why this way).
 *
 * A volume that has been snapshotted is two files on the host: its base `<name>.qcow2` and an
 * overlay `<name>.s-<snapshotId>.qcow2` on it that collects every write since snapshot
 * <snapshotId>. Taking snapshot N:
 *   1. a new overlay `<name>.s-N.qcow2` goes on top (a running VM switches to it atomically with an
 *      external disk-only snapshot; otherwise it is created with vol-create-as and the VM's
 *      persistent definition pointed at it), so the old top is frozen;
 *   2. the frozen layer is shipped to the secondary store: as it is (only the clusters written since
 *      the previous snapshot: an incremental, whose qcow2 backing file on secondary is made the
 *      previous snapshot's file) or, for a full snapshot, as a flattened copy (vol-clone);
 *   3. the frozen layer is committed into the base (blockcommit: in the running VM, or in a paused
 *      helper domain when none runs) and deleted, so the host's chain stays base + one overlay.
 * Restore flattens the chain on secondary (qemu-img convert, on the Stratus server where secondary
 * storage lives) and uploads it as the volume's new base. Deleting a snapshot merges it into its
 * successors (qemu-img rebase onto its own parent), so later snapshots still restore.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DriverError, type HostRef, type SnapshotFile, type TakeSnapshotOptions, type VolumeInfo, type VolumeRef } from "../types";
import { qemuImg } from "./run";
import {
  baseFile,
  checkVolumeName,
  isVolExisting,
  layers,
  layerTag,
  layerFile,
  VOL_NAME_RE,
  withPool,
  type Layer,
  type VirshCall,
} from "./storage";
import { deleteFile, diskTarget, domainDisks, infoOf, isLayerPath, isRunning, storageError, withXmlFile } from "./volumes";
import { diskXml, helperDomainXml, NAME_RE } from "./xml";

const HELPER_PREFIX = "stratus-commit-";
/** The transient, paused domains that run a commit for a volume no VM has running. */
export const isHelperDomain = (name: string) => name.startsWith(HELPER_PREFIX);

export type { SnapshotFile, TakeSnapshotOptions };

/** Whether the next snapshot should be full: the first, or after `fullEvery - 1` increments in a row. */
export function needsFull(incrementsSinceFull: number | null, fullEvery: number): boolean {
  return incrementsSinceFull === null || fullEvery <= 1 || incrementsSinceFull + 1 >= fullEvery;
}

function checkId(id: string) {
  if (!VOL_NAME_RE.test(id)) throw new DriverError(`Refusing the snapshot id ${JSON.stringify(id)}`);
  return id;
}
function checkDir(dir: string) {
  if (!path.isAbsolute(dir) || path.normalize(dir) !== dir.replace(/\/+$/, "") || dir.split("/").includes(".."))
    throw new DriverError(`Snapshot directory ${dir} must be an absolute, normalised path`);
  return dir;
}
const fileSize = async (f: string) => (await fs.stat(f)).size;
const exists = (f: string) =>
  fs.access(f).then(
    () => true,
    () => false,
  );

export class LibvirtSnapshots {
  constructor(private readonly conn: (host: HostRef) => VirshCall) {}

  async take(host: HostRef, vol: VolumeRef, opts: TakeSnapshotOptions): Promise<SnapshotFile> {
    const name = checkVolumeName(vol.name);
    const id = checkId(opts.id);
    const dir = checkDir(opts.dir);
    const target = path.join(dir, `${id}.qcow2`);
    const call = this.conn(host);
    const vmName = opts.vmName;
    if (vmName !== undefined && !NAME_RE.test(vmName)) throw new DriverError(`Refusing the domain name ${JSON.stringify(vmName)}`);
    await fs.mkdir(dir, { recursive: true });
    return withPool(host, call, vol.pool, async (pool) => {
      let { chain } = await layers(call, pool, name);
      if (!chain.length) throw new DriverError(`Volume ${name} does not exist on pool ${vol.pool.id} of host ${host.name}`);
      const running = vmName ? await isRunning(call, vmName) : false;
      // A retried job finds the switch already made: the top then carries this snapshot's id.
      if (layerTag(name, chain[0]!.file) !== id) {
        await this.switchTop(call, pool, name, chain[0]!, id, vmName, running);
        chain = (await layers(call, pool, name)).chain;
      }
      const frozen = chain[1];
      if (!frozen || layerTag(name, chain[0]!.file) !== id)
        throw new DriverError(`Volume ${name}: the new top layer for snapshot ${id} is missing`);

      const prev = opts.previous ?? null;
      const incremental = !opts.full && prev !== null && layerTag(name, frozen.file) === prev.id && (await exists(prev.file));
      if (!(await exists(target))) await this.ship(call, pool, name, frozen, target, incremental ? prev : null);

      // Fold the frozen layer into the one below it (the base), so the chain stays two files long.
      const below = chain[2];
      if (below) {
        await this.commit(host, call, { vmName: running ? vmName : undefined, top: chain[0]!, frozen, below });
        await deleteFile(call, pool, frozen.file);
      }
      // What was shipped, read from the file itself (a retried job may find it shipped and committed already).
      const parentFile = await backingOf(target);
      return {
        id,
        file: target,
        kind: parentFile ? "incremental" : "full",
        parentFile,
        bytes: await fileSize(target),
        capacityBytes: frozen.capacityBytes,
      };
    });
  }

  /** Puts a new overlay for snapshot `id` on top of `top`, and makes whoever uses the volume use it. */
  private async switchTop(
    call: VirshCall,
    pool: string,
    name: string,
    top: Layer & VolumeInfo,
    id: string,
    vmName: string | undefined,
    running: boolean,
  ) {
    const file = layerFile(name, id);
    const newPath = path.posix.join(path.posix.dirname(top.path), file);
    const live = running ? await diskTarget(call, vmName!, top.path, "live") : null;
    if (live) {
      // Every other drive stays as it is, the CD-ROM too (read-only, maybe empty).
      const others = [...(await domainDisks(call, vmName!, "live")), ...(await domainDisks(call, vmName!, "live", "cdrom"))].filter(
        (d) => d.target !== live,
      );
      await call(
        [
          "snapshot-create-as",
          "--domain",
          vmName!,
          "--name",
          `stratus-${id}`,
          "--disk-only",
          "--no-metadata",
          "--atomic",
          "--diskspec",
          `${live},snapshot=external,file=${newPath}`,
          ...others.flatMap((d) => ["--diskspec", `${d.target},snapshot=no`]),
        ],
        120_000,
      );
      return;
    }
    try {
      await call([
        "vol-create-as",
        "--pool",
        pool,
        "--name",
        file,
        "--capacity",
        String(top.capacityBytes),
        "--format",
        "qcow2",
        "--backing-vol",
        top.file,
        "--backing-vol-format",
        "qcow2",
      ]);
    } catch (e) {
      if (!isVolExisting(e)) throw storageError(e, `freezing volume ${name} for snapshot ${id}`);
    }
    if (vmName) await pointDisk(call, vmName, name, newPath);
  }

  /** Copies the frozen layer to `target` on the secondary store: as it is (an increment on `prev`), or flattened. */
  private async ship(call: VirshCall, pool: string, name: string, frozen: Layer, target: string, prev: SnapshotFile | null) {
    const part = `${target}.part`;
    await fs.rm(part, { force: true });
    try {
      if (prev) {
        await call(["vol-download", "--pool", pool, "--vol", frozen.file, "--file", part], 3_600_000);
        // On secondary the increment is backed by the previous snapshot's file (same directory: a relative name).
        const backing = path.dirname(prev.file) === path.dirname(target) ? path.basename(prev.file) : prev.file;
        await qemuImg(["rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", backing, "--", part]);
      } else {
        const copy = `${name}.c-${path.basename(target, ".qcow2")}.qcow2`;
        await deleteFile(call, pool, copy);
        // vol-clone runs qemu-img convert on the host: a self-contained copy of the whole chain.
        await call(["vol-clone", "--pool", pool, "--vol", frozen.file, "--newname", copy], 3_600_000);
        try {
          await call(["vol-download", "--pool", pool, "--vol", copy, "--file", part], 3_600_000);
        } finally {
          await deleteFile(call, pool, copy);
        }
      }
      await fs.rename(part, target);
    } catch (e) {
      await fs.rm(part, { force: true });
      throw storageError(e, `copying a snapshot of volume ${name} to the secondary store`);
    }
  }

  /** blockcommit of `frozen` into `below`: in the VM's QEMU when it runs, else in a paused helper domain. */
  private async commit(host: HostRef, call: VirshCall, c: { vmName?: string; top: Layer; frozen: Layer; below: Layer }) {
    const job = (domain: string, target: string) =>
      call(["blockcommit", "--domain", domain, "--path", target, "--top", c.frozen.path, "--base", c.below.path, "--wait"], 3_600_000);
    const target = c.vmName ? await diskTarget(call, c.vmName, c.top.path, "live") : null;
    if (target) return void (await job(c.vmName!, target));
    const helper = `${HELPER_PREFIX}${createHash("sha256").update(c.top.path).digest("hex").slice(0, 16)}`;
    await call(["destroy", "--domain", helper]).catch(() => {}); // a leftover of an interrupted commit
    await withXmlFile(helperDomainXml(helper, host.domainType ?? "qemu", { path: c.top.path, format: "qcow2", target: "vda" }), (file) =>
      call(["create", "--file", file, "--paused"], 120_000),
    );
    try {
      await job(helper, "vda");
    } finally {
      await call(["destroy", "--domain", helper]).catch(() => {});
    }
  }

  /**
   * Rebuilds the volume from a snapshot and its chain. The VM it is attached to must be stopped and
   * named in `vmName` (its definition follows the new files). The volume then tracks changes since
   * that snapshot, so the next one can be an increment on it.
   */
  async restore(host: HostRef, vol: VolumeRef, snap: SnapshotFile, opts: { vmName?: string } = {}): Promise<VolumeInfo> {
    const name = checkVolumeName(vol.name);
    const id = checkId(snap.id);
    const call = this.conn(host);
    if (opts.vmName !== undefined && !NAME_RE.test(opts.vmName))
      throw new DriverError(`Refusing the domain name ${JSON.stringify(opts.vmName)}`);
    if (opts.vmName && (await isRunning(call, opts.vmName)))
      throw new DriverError(`Stop VM ${opts.vmName} before reverting its volume ${name}`);
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "stratus-restore-"));
    try {
      const flat = path.join(tmp, "flat.qcow2");
      try {
        await qemuImg(["convert", "-f", "qcow2", "-O", "qcow2", "--", snap.file, flat], { timeoutMs: 3_600_000 });
      } catch (e) {
        throw new DriverError(
          `Snapshot ${id} cannot be read from the secondary store (${snap.file}): ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      return await withPool(host, call, vol.pool, async (pool) => {
        const { chain, stray } = await layers(call, pool, name);
        for (const l of [...chain, ...stray]) await deleteFile(call, pool, l.file);
        await call(["vol-create-as", "--pool", pool, "--name", baseFile(name), "--capacity", "0", "--format", "raw"]);
        await call(["vol-upload", "--pool", pool, "--vol", baseFile(name), "--file", flat], 3_600_000);
        await call(["pool-refresh", "--pool", pool], 120_000);
        await call([
          "vol-create-as",
          "--pool",
          pool,
          "--name",
          layerFile(name, id),
          "--capacity",
          String(snap.capacityBytes),
          "--format",
          "qcow2",
          "--backing-vol",
          baseFile(name),
          "--backing-vol-format",
          "qcow2",
        ]);
        const now = await layers(call, pool, name);
        if (opts.vmName) await pointDisk(call, opts.vmName, name, now.chain[0]!.path);
        return infoOf(now.chain);
      });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Deletes a snapshot's file after merging it into the snapshots that are increments on it (their
   * backing becomes its parent, or none: they then hold everything and are full). Returns them updated.
   */
  async delete(snap: SnapshotFile, children: SnapshotFile[]): Promise<SnapshotFile[]> {
    const updated: SnapshotFile[] = [];
    for (const child of children) {
      if (child.parentFile !== snap.file) throw new DriverError(`Snapshot ${child.id} is not an increment on ${snap.id}`);
      const backing =
        snap.parentFile === null
          ? ""
          : path.dirname(snap.parentFile) === path.dirname(child.file)
            ? path.basename(snap.parentFile)
            : snap.parentFile;
      // Safe mode: copies into the child every cluster where the deleted snapshot differs from the new backing.
      await qemuImg(["rebase", "-f", "qcow2", ...(backing ? ["-F", "qcow2"] : []), "-b", backing, "--", child.file], {
        timeoutMs: 3_600_000,
      });
      updated.push({
        ...child,
        parentFile: snap.parentFile,
        kind: snap.parentFile ? "incremental" : "full",
        bytes: await fileSize(child.file),
      });
    }
    await fs.rm(snap.file, { force: true });
    return updated;
  }
}

/** The absolute path of a snapshot file's backing file on the secondary store, or null for a full one. */
async function backingOf(file: string): Promise<string | null> {
  const out = (await qemuImg(["info", "-f", "qcow2", "--output=json", "--", file], { timeoutMs: 60_000 })).stdout;
  const backing = (JSON.parse(out) as { "backing-filename"?: string })["backing-filename"];
  return backing ? path.resolve(path.dirname(file), backing) : null;
}

/** Points the VM's persistent disk of volume `name` at `newPath` (no recorded backing chain: libvirt reads it from the image). */
async function pointDisk(call: VirshCall, vmName: string, name: string, newPath: string) {
  const disk = (await domainDisks(call, vmName, "config")).find((d) => isLayerPath(name, d.source));
  if (!disk || disk.source === newPath) return;
  await withXmlFile(diskXml({ path: newPath, format: "qcow2", target: disk.target }), (file) =>
    call(["update-device", "--domain", vmName, "--file", file, "--config"], 60_000),
  );
}
