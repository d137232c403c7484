/**
 * New volumes and templates from snapshots and volumes (issue 10). Everything made here is
 * self-contained: a snapshot's chain on the secondary store, or a volume's layers on its pool (the
 * template's blocks included), flattened by qemu-img — on the host through libvirt (`vol-clone`) for
 * a volume, on the Stratus server (where the secondary store lives) for a snapshot.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { DriverError, type ExportedImage, type HostRef, type SnapshotFile, type VolumeInfo, type VolumeRef } from "../types";
import { qemuImg } from "./run";
import { checkVolumeName, layers, withPool, type VirshCall } from "./storage";
import type { LibvirtSnapshots } from "./snapshots";
import { deleteFile, type LibvirtVolumes, storageError } from "./volumes";

const GIB = 1024 ** 3;

function checkTarget(target: string) {
  if (!path.isAbsolute(target) || path.normalize(target) !== target || !target.endsWith(".qcow2"))
    throw new DriverError(`Refusing the image path ${JSON.stringify(target)}: an absolute, normalised .qcow2 path is needed`);
  return target;
}

/** Size facts of a finished image, and a check that it stands alone (no backing file). */
async function imageFacts(file: string): Promise<ExportedImage> {
  const out = (await qemuImg(["info", "-f", "qcow2", "--output=json", "--", file], { timeoutMs: 60_000 })).stdout;
  const info = JSON.parse(out) as { "virtual-size": number; "backing-filename"?: string };
  if (info["backing-filename"]) throw new DriverError(`Image ${file} still has a backing file; it was not flattened`);
  return { bytes: (await fs.stat(file)).size, virtualBytes: info["virtual-size"] };
}

export class LibvirtImageMaker {
  constructor(
    private readonly conn: (host: HostRef) => VirshCall,
    private readonly volumes: LibvirtVolumes,
    private readonly snapshots: LibvirtSnapshots,
  ) {}

  /**
   * The new volume is the snapshot's chain restored onto a volume that did not exist (restore
   * flattens it on the server and uploads it with vol-upload), then grown to `sizeGib`. Idempotent:
   * a retry rebuilds it from scratch.
   */
  async volumeFromSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, sizeGib: number): Promise<VolumeInfo> {
    const info = await this.snapshots.restore(host, vol, snap);
    if (info.capacityBytes >= sizeGib * GIB) return info;
    return this.volumes.resize(host, vol, sizeGib);
  }

  /** qemu-img convert follows the snapshot's backing files on the secondary store: the copy holds the whole chain. */
  async exportSnapshot(snap: SnapshotFile, target: string): Promise<ExportedImage> {
    const dest = checkTarget(target);
    const part = `${dest}.part`;
    await fs.mkdir(path.dirname(dest), { recursive: true });
    try {
      await qemuImg(["convert", "-f", "qcow2", "-O", "qcow2", "--", snap.file, part], { timeoutMs: 3_600_000 });
      await fs.rename(part, dest);
    } catch (e) {
      await fs.rm(part, { force: true });
      throw new DriverError(`Snapshot ${snap.id} could not be copied from ${snap.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return imageFacts(dest);
  }

  /**
   * vol-clone of the volume's top layer (libvirt runs qemu-img convert on the host: one file with the
   * whole chain folded in), streamed to the secondary store with vol-download, then deleted.
   */
  async exportVolume(host: HostRef, vol: VolumeRef, target: string): Promise<ExportedImage> {
    const name = checkVolumeName(vol.name);
    const dest = checkTarget(target);
    const part = `${dest}.part`;
    const call = this.conn(host);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await withPool(host, call, vol.pool, async (pool) => {
      const { chain } = await layers(call, pool, name);
      if (!chain.length) throw new DriverError(`Volume ${name} does not exist on pool ${vol.pool.id} of host ${host.name}`);
      // Named like the volume's other files, so an interrupted run's copy is a stray a later restore removes.
      const copy = `${name}.c-${path.basename(dest, ".qcow2")}.qcow2`;
      await deleteFile(call, pool, copy);
      try {
        await call(["vol-clone", "--pool", pool, "--vol", chain[0]!.file, "--newname", copy], 3_600_000);
        await call(["vol-download", "--pool", pool, "--vol", copy, "--file", part], 3_600_000);
        await fs.rename(part, dest);
      } catch (e) {
        await fs.rm(part, { force: true });
        throw storageError(e, `copying volume ${name} to the secondary store`);
      } finally {
        await deleteFile(call, pool, copy);
      }
    });
    return imageFacts(dest);
  }
}
