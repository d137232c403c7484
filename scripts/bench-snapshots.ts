/**
 * npm run bench:snapshots — volume snapshots on libvirt (server/orchestrator/drivers/libvirt/snapshots.ts):
 * a 1 GiB volume filled with data, a full snapshot, 1 % of its 64 KiB blocks changed, an incremental
 * snapshot, more changes, then a restore of the chain (full + increment), compared byte for byte
 * with the volume as it was at the incremental snapshot (qemu-img compare).
 * Needs root and a running libvirtd (qemu:///system). The volume is attached to no VM, so the
 * commit after each snapshot runs in the paused helper domain.
 * Prints a final JSON line:
 *   {"volumeGib","changedPct","fullMs","fullBytes","incrementalMs","incrementalBytes","bytesRatio","restoreMs","restoreIdentical"}
 *   BENCH_VOLUME_GIB (default 1), BENCH_CHANGED_PCT (default 1).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LibvirtDriver } from "@/server/orchestrator/drivers/libvirt/driver";
import type { HostRef, VolumeRef } from "@/server/orchestrator/drivers/types";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { prng } from "@/test/prng";

const volumeGib = Number(process.env.BENCH_VOLUME_GIB ?? 1);
const changedPct = Number(process.env.BENCH_CHANGED_PCT ?? 1);
const CLUSTER = 64 * 1024;

/** Writes 64 KiB blocks with a pattern byte each, in batches (one qemu-io run per batch). */
function writeBlocks(file: string, blocks: number[], pattern: (block: number) => number) {
  for (let i = 0; i < blocks.length; i += 512) {
    const args = ["-f", "qcow2"];
    for (const b of blocks.slice(i, i + 512)) args.push("-c", `write -P ${pattern(b)} ${b * CLUSTER} ${CLUSTER}`);
    execFileSync("qemu-io", [...args, file], { stdio: "ignore" });
  }
}
const topOf = (primary: string, name: string) => {
  const overlay = fs.readdirSync(primary).find((f) => f.startsWith(`${name}.s-`));
  return path.join(primary, overlay ?? `${name}.qcow2`);
};

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-bench-snapshots-"));
  fs.chmodSync(dir, 0o755);
  const primary = path.join(dir, "primary");
  const sdir = path.join(dir, "secondary", "snapshots", "vol-bench");
  const driver = new LibvirtDriver();
  const host: HostRef = { id: `bench-${process.pid}`, name: "local", address: "qemu:///system", hypervisorType: "kvm", domainType: "qemu" };
  const vol: VolumeRef = { pool: { id: `bench${process.pid}`, type: "local_dir", path: primary }, name: "vol-bench" };
  try {
    await driver.createVolume(host, vol, { sizeGib: volumeGib });
    const blocks = (volumeGib * 1024 ** 3) / CLUSTER;
    const all = Array.from({ length: blocks }, (_, i) => i);
    console.log(`filling ${volumeGib} GiB (${blocks} blocks of 64 KiB)`);
    writeBlocks(topOf(primary, vol.name), all, (b) => 1 + (Math.floor(b / 16) % 250));

    let t = performance.now();
    const full = await driver.snapshots.take(host, vol, { id: "s1", dir: sdir });
    const fullMs = performance.now() - t;
    console.log(`full snapshot: ${Math.round(fullMs)} ms, ${full.bytes} bytes`);

    const rnd = prng(42);
    const pick = () => {
      const chosen = new Set<number>();
      while (chosen.size < Math.round((blocks * changedPct) / 100)) chosen.add(rnd.int(0, blocks - 1));
      return [...chosen];
    };
    writeBlocks(topOf(primary, vol.name), pick(), () => 0xee);
    t = performance.now();
    const inc = await driver.snapshots.take(host, vol, { id: "s2", dir: sdir, previous: full });
    const incrementalMs = performance.now() - t;
    if (inc.kind !== "incremental") throw new Error(`the second snapshot is ${inc.kind}, not incremental`);
    console.log(`incremental snapshot: ${Math.round(incrementalMs)} ms, ${inc.bytes} bytes`);

    const expected = path.join(dir, "expected.qcow2");
    execFileSync("qemu-img", ["convert", "-U", "-O", "qcow2", topOf(primary, vol.name), expected]);
    writeBlocks(topOf(primary, vol.name), pick(), () => 0x11); // changes the restore must undo

    t = performance.now();
    await driver.snapshots.restore(host, vol, inc);
    const restoreMs = performance.now() - t;
    const restoreIdentical = spawnSync("qemu-img", ["compare", "-U", expected, topOf(primary, vol.name)]).status === 0;
    console.log(`restore: ${Math.round(restoreMs)} ms, identical: ${restoreIdentical}`);
    console.log(
      JSON.stringify({
        volumeGib,
        changedPct,
        fullMs: Math.round(fullMs),
        fullBytes: full.bytes,
        incrementalMs: Math.round(incrementalMs),
        incrementalBytes: inc.bytes,
        bytesRatio: Math.round((inc.bytes / full.bytes) * 10000) / 10000,
        restoreMs: Math.round(restoreMs),
        restoreIdentical,
      }),
    );
  } finally {
    await driver.deleteVolume(host, vol).catch(() => {});
    undefinePoolsUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
