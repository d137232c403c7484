/**
 * A KVM host reached over SSH (qemu+ssh://root@127.0.0.1/system with a key from
 * STRATUS_LIBVIRT_KEY_DIR): added through the host service, then a root volume created from a
 * template, the tiny guest started and a snapshot taken, all through that one connection. Storage
 * goes through libvirt's storage API (the template is streamed up with vol-upload, the snapshot
 * down with vol-download), so nothing is shared with the Stratus server but the SSH connection.
 *
 * The test sets SSH up itself: a key in the key directory, authorised for root; sshd started when
 * nothing listens on port 22 (openssh-server must be installed: .ci/run does); 127.0.0.1's host
 * key added to ~/.ssh/known_hosts (libvirt's ssh transport ignores the known_hosts parameter).
 * What it added is removed afterwards. Runs in npm test's "libvirt" suite only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "@/db";
import { clusters, pods, zones } from "@/db/schema";
import { eq } from "drizzle-orm";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { waitFor } from "@/test/orchestrator";
import { hostRefOf } from "../host-ref";
import { registerDriver } from "../registry";
import type { HostRef, PoolRef, VmSpec } from "../types";
import { LibvirtDriver, rootVolumeName } from "./driver";

// Before any module reads the environment (env() caches it): where host URIs may name key files.
const { keyDir, ownKeyDir } = vi.hoisted(() => {
  const own = !process.env.STRATUS_LIBVIRT_KEY_DIR;
  return { keyDir: (process.env.STRATUS_LIBVIRT_KEY_DIR ??= `/tmp/stratus-ssh-keys-${process.pid}`), ownKeyDir: own };
});

const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const key = path.join(keyDir, "stratus-test-ed25519");
const sshDir = path.join(os.homedir(), ".ssh");
const vmName = `stratus-remote-${process.pid}`;
/** The SSH files the test changes, as they were (null: absent), put back afterwards. */
const saved = new Map<string, string | null>();
let startedSshd = false;
let madeKey = false;
let h: DbHandle;
let dir: string;
let host: HostRef;
let pool: PoolRef;
let spec: VmSpec;
const driver = new LibvirtDriver({ nic: "none", vncListen: "127.0.0.1", pollMs: 100 });

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
function remember(file: string) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
  if (!saved.has(file)) saved.set(file, text);
  return text;
}
function appendLine(file: string, line: string) {
  const text = remember(file);
  if (text?.split("\n").includes(line)) return;
  fs.writeFileSync(file, `${text ?? ""}${text && !text.endsWith("\n") ? "\n" : ""}${line}\n`, { mode: 0o600 });
}

async function setUpSsh() {
  const sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"].find((p) => fs.existsSync(p));
  if (!sshd) throw new Error("sshd is not installed: apt-get install openssh-server (.ci/run installs it)");
  fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(key)) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "stratus-remote-host-test", "-f", key]);
    madeKey = true;
  }
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  appendLine(path.join(sshDir, "authorized_keys"), fs.readFileSync(`${key}.pub`, "utf8").trim());
  if (!(await listening(22))) {
    fs.mkdirSync("/run/sshd", { recursive: true });
    execFileSync("ssh-keygen", ["-A"]);
    execFileSync(sshd, []);
    startedSshd = true;
    await waitFor("sshd on port 22", () => listening(22), 10_000, 100);
  }
  const scan = spawnSync("ssh-keyscan", ["-t", "ed25519", "127.0.0.1"], { encoding: "utf8" }).stdout.trim();
  if (!scan) throw new Error("ssh-keyscan 127.0.0.1 found no host key");
  for (const line of scan.split("\n")) appendLine(path.join(sshDir, "known_hosts"), line);
  remember(path.join(sshDir, "known_hosts.old")); // ssh's backup when it records more host keys
}

function tearDownSsh() {
  // ssh also records the host's other keys in known_hosts (UpdateHostKeys): restore the files whole.
  for (const [file, text] of saved) {
    if (text === null) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, text, { mode: 0o600 });
  }
  if (ownKeyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  else if (madeKey) for (const f of [key, `${key}.pub`]) fs.rmSync(f, { force: true });
  if (startedSshd) {
    const pid = Number(fs.readFileSync("/run/sshd.pid", "utf8").trim());
    if (pid > 1) process.kill(pid);
  }
}

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("a KVM host over qemu+ssh:// with nothing shared", () => {
  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    await setUpSsh();
    registerDriver("kvm", driver);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-remote-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    h = await openTestDb();
  }, 60_000);

  afterAll(async () => {
    if (host) {
      await driver.destroy(host, vmName).catch(() => {});
      if (pool) await driver.deleteVolume(host, { pool, name: rootVolumeName(vmName) }).catch(() => {});
    }
    await h?.close();
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    tearDownSsh();
  });

  it("adds the host by its ssh URI with a key file from the key directory", async () => {
    const t = await seedTenancy(h.db);
    const admin = api(h.db, t.callers.admin);
    const [z] = await h.db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [p] = await h.db.select().from(pods).where(eq(pods.zoneId, z!.id));
    const cluster = await admin.cluster.create({ podId: p!.id, name: "KVM over ssh", hypervisorType: "kvm" });
    const address = `qemu+ssh://root@127.0.0.1/system?keyfile=${key}&no_tty=1`;
    // A key file outside the key directory is refused before anything connects.
    const outside = await admin.host
      .create({
        clusterId: cluster.id,
        hypervisorType: "kvm",
        name: "bad",
        address: address.replace(keyDir, "/etc"),
        cpuCores: 1,
        cpuMhz: 1,
        memoryMib: 1,
        tags: [],
      })
      .catch((e: Error) => e);
    expect((outside as Error).message).toMatch(/keyfile/);
    const row = await admin.host.create({
      clusterId: cluster.id,
      hypervisorType: "kvm",
      name: "ssh-kvm",
      address,
      cpuCores: 1,
      cpuMhz: 1,
      memoryMib: 1,
      tags: [],
    });
    expect(row.libvirtVersion).toMatch(/^\d+\.\d+/);
    const [c] = await h.db.select().from(clusters).where(eq(clusters.id, cluster.id));
    expect(c).toBeTruthy();
    host = { ...hostRefOf(row), domainType: "qemu" };
  }, 60_000);

  it("creates a root volume from the template and starts the guest through the ssh connection", async () => {
    pool = { id: `remote${process.pid}`, type: "local_dir", path: path.join(dir, "primary") };
    spec = {
      name: vmName,
      displayName: "remote-tiny",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      template: { id: `tiny${process.pid}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
      storage: { poolId: pool.id, primaryPath: pool.path, rootDiskGib: 1 },
    };
    const vol = await driver.createVolume(host, { pool, name: rootVolumeName(vmName) }, { sizeGib: 1, template: spec.template });
    expect(vol.capacityBytes).toBe(1024 ** 3);
    await driver.create(host, spec);
    await driver.start(host, spec);
    expect(await driver.getState(host, vmName)).toBe("running");
    const log = path.join(pool.path, `${vmName}-serial.log`);
    await waitFor(
      "the guest's banner",
      () => fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("hostname=remote-tiny ready"),
      60_000,
      250,
    );
  }, 120_000);

  it("snapshots the running guest's root volume to the secondary store through the same connection", async () => {
    const snap = await driver.snapshots.take(
      host,
      { pool, name: rootVolumeName(vmName) },
      { id: "remote1", dir: path.join(dir, "secondary", "snapshots"), vmName },
    );
    expect(snap.kind).toBe("full");
    expect(snap.bytes).toBeGreaterThan(1024 ** 2); // the template's data came down the connection
    expect(execFileSync("qemu-img", ["info", snap.file], { encoding: "utf8" })).not.toMatch(/backing file/);
    expect(await driver.getState(host, vmName)).toBe("running");
    await driver.destroy(host, vmName);
    expect(await driver.getState(host, vmName)).toBe("missing");
    expect(fs.readdirSync(pool.path).filter((f) => f.startsWith(vmName))).toEqual([]);
  }, 120_000);
});
