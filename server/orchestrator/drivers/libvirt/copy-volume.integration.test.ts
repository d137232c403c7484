/**
 * Migrating a volume between two primary pools of one host through libvirt's storage API
 * (vol-create-from): the copy holds the same bytes as the source's whole chain (template and
 * snapshot overlay), stands alone, and a repeated copy replaces a leftover. The test defines its
 * two dir pools in a temporary directory and removes them, and every volume, afterwards.
 *
 * Runs in npm test's "libvirt" suite only (STRATUS_LIBVIRT_TESTS=1); needs root and the image at
 * .cache/test-image/tiny.qcow2 (scripts/build-test-image.sh).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import type { HostRef, PoolRef, VolumeRef } from "../types";
import { LibvirtDriver } from "./driver";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const driver = new LibvirtDriver({ nic: "none" });
const host: HostRef = { id: `copy-test-${process.pid}`, name: "local", address: URI, hypervisorType: "kvm", domainType: "qemu" };
const qemuImgInfo = (file: string) =>
  JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", file], { encoding: "utf8" })) as {
    format: string;
    "virtual-size": number;
    "backing-filename"?: string;
  };

let dir: string;
let poolA: PoolRef;
let poolB: PoolRef;
const name = `vol-cp${process.pid}`;
const volA = (): VolumeRef => ({ pool: poolA, name });
const volB = (): VolumeRef => ({ pool: poolB, name });

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt copyVolume between pools", () => {
  beforeAll(() => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-copy-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    poolA = { id: `cpa${process.pid}`, type: "local_dir", path: path.join(dir, "a") };
    poolB = { id: `cpb${process.pid}`, type: "local_dir", path: path.join(dir, "b") };
  });

  afterAll(async () => {
    for (const v of poolA ? [volA(), volB()] : []) await driver.deleteVolume(host, v).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("copies a template-backed volume with a snapshot overlay into a self-contained volume of the other pool", async () => {
    const template = { id: `tcp${process.pid}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 };
    await driver.createVolume(host, volA(), { sizeGib: 1, template });
    // An overlay on top as a snapshot leaves it, with data only it holds.
    const base = path.join(poolA.path, `${name}.qcow2`);
    const top = path.join(poolA.path, `${name}.s-1.qcow2`);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, top]);
    execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 512M 1M", top], { stdio: "ignore" });
    // A leftover of an interrupted earlier copy is replaced, not kept.
    fs.mkdirSync(poolB.path, { recursive: true });
    fs.writeFileSync(path.join(poolB.path, `${name}.qcow2`), "half a copy");

    const info = await driver.copyVolume(host, volA(), volB());

    const copy = path.join(poolB.path, `${name}.qcow2`);
    expect(fs.readdirSync(poolB.path).filter((f) => f.startsWith(name))).toEqual([`${name}.qcow2`]);
    const qi = qemuImgInfo(copy);
    expect(qi.format).toBe("qcow2");
    expect(qi["backing-filename"]).toBeUndefined();
    expect(info.capacityBytes).toBe(qi["virtual-size"]);
    expect(spawnSync("qemu-img", ["compare", "-U", top, copy]).status).toBe(0);

    // The source goes (the job's next step) and the copy still reads the same data.
    await driver.deleteVolume(host, volA());
    expect(fs.existsSync(top)).toBe(false);
    const read = spawnSync("qemu-io", ["-r", "-f", "qcow2", "-c", "read -P 0x5a 512M 1M", copy], { encoding: "utf8" });
    expect(read.stdout).not.toMatch(/Pattern verification failed/);
    expect(read.status).toBe(0);
    expect(await driver.volumeInfo(host, volB())).toMatchObject({ capacityBytes: info.capacityBytes });
  });

  it("refuses a missing source and a copy onto its own pool", async () => {
    await expect(driver.copyVolume(host, { pool: poolA, name: `vol-none${process.pid}` }, volB())).rejects.toThrow(/does not exist/);
    await expect(driver.copyVolume(host, volB(), volB())).rejects.toThrow(/already on pool/);
  });
});
