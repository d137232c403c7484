import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { DbHandle } from "@/db";
import { diskOfferings, instances, networks, volumes } from "@/db/schema";
import { networkDevices } from "@/server/orchestrator/network/spec";
import { api, seedTenancy } from "@/test/fixtures";
import { waitForJob } from "@/test/orchestrator";
import { undefinePoolsUnder } from "@/test/libvirt-pools";

export const LIBVIRT_URI = "qemu:///system";
export const testImage = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
export const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", LIBVIRT_URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/**
 * Removes what the routers of these networks (keys: their numbers in base 36) left on this host:
 * processes in the namespace, the namespace, links and run files. For tests whose deploys made a
 * default network and whose database goes away before the network could be deleted.
 */
export function removeNetworkDevices(keys: string[]) {
  for (const key of keys) {
    const dev = networkDevices(key);
    try {
      const pids = execFileSync("ip", ["netns", "pids", dev.namespace], { encoding: "utf8" }).split(/\s+/).filter(Boolean);
      for (const pid of pids) process.kill(Number(pid), "SIGKILL");
    } catch {}
    for (const args of [
      ["netns", "del", dev.namespace],
      ["link", "del", dev.guestVeth],
      ["link", "del", dev.publicVeth],
      ["link", "del", dev.bridge],
    ])
      try {
        execFileSync("ip", args, { stdio: "ignore" });
      } catch {}
    fs.rmSync(`/run/stratus/networks/${dev.namespace}`, { recursive: true, force: true });
  }
}

/**
 * A KVM zone of its own on the local libvirtd for a service-level test: a temporary directory with
 * primary and secondary storage (the zone's only secondary store), a cluster, the host at
 * qemu:///system, the tiny template, and one tenant VM ("guest") with a 1 GiB data volume attached.
 * Domains are named i-<number> on the one libvirtd that other test files share, so the instance
 * sequence starts at a number of this process's own. Jobs must be running (in-process workers or
 * worker processes) while it sets up. `cleanUp` removes the domain, the pools and the directory.
 */
export async function setUpKvmZone(
  h: DbHandle,
  prefix: string,
  opts: {
    /** Runs after the zone exists and before the VM is deployed (e.g. the zone's network settings). */
    beforeDeploy?: (c: { admin: ReturnType<typeof api>; zoneId: string }) => Promise<void>;
    /** Attach a 1 GiB data volume to the VM (default true). */
    dataVolume?: boolean;
    /** The caller has numbered networks itself (the networks suite names devices after its lab run). */
    keepNetworkNumbers?: boolean;
  } = {},
) {
  if (!fs.existsSync(testImage)) throw new Error(`The test image ${testImage} is missing: run scripts/build-test-image.sh`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stratus-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  const primary = path.join(dir, "primary");
  const secondary = path.join(dir, "secondary");
  fs.mkdirSync(primary);
  fs.mkdirSync(path.join(secondary, "templates"), { recursive: true });
  fs.copyFileSync(testImage, path.join(secondary, "templates", "tiny.qcow2"));
  let vmName = "";
  let networkKeys: string[] = [];
  const removeNetworks = () => removeNetworkDevices(networkKeys);
  const cleanUp = () => {
    removeNetworks();
    if (vmName)
      for (const args of [
        ["destroy", "--domain", vmName],
        ["undefine", "--domain", vmName, "--snapshots-metadata"],
      ])
        try {
          virsh(...args);
        } catch {}
    undefinePoolsUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await h.db.execute(sql`select setval(pg_get_serial_sequence('instances', 'number'), ${700_000 + (process.pid % 100_000) * 10})`);
    // Network device names come from the network's number: per process, so runs never share a router.
    if (!opts.keepNetworkNumbers)
      await h.db.execute(sql`select setval(pg_get_serial_sequence('networks', 'number'), ${700_000 + (process.pid % 100_000) * 10})`);
    const t = await seedTenancy(h.db);
    const admin = api(h.db, t.callers.admin);
    const tenant = api(h.db, t.callers.tenant);
    const zone = await admin.zone.create({ name: `KVM ${prefix}` });
    const pod = await admin.pod.create({ zoneId: zone.id, name: "pod" });
    const cluster = await admin.cluster.create({ podId: pod.id, name: "kvm", hypervisorType: "kvm" });
    const pool = await admin.storagePool.create({
      zoneId: zone.id,
      clusterId: cluster.id,
      name: "primary",
      type: "local_dir",
      path: primary,
      capacityGib: 20,
    });
    const store = await admin.secondaryStore.create({ zoneId: zone.id, name: "secondary", path: secondary, capacityGib: 20 });
    const host = await admin.host.create({
      clusterId: cluster.id,
      hypervisorType: "kvm",
      name: "local-kvm",
      address: LIBVIRT_URI,
      cpuCores: 1,
      cpuMhz: 1,
      memoryMib: 1,
      tags: [],
    });
    const template = await admin.template.register({
      name: `Tiny ${prefix}`,
      osType: "Other Linux (64-bit)",
      hypervisorType: "kvm",
      format: "qcow2",
      secondaryStoreId: store.id,
      path: "templates/tiny.qcow2",
      isPublic: true,
    });
    const offering = await admin.computeOffering.create({
      name: `Tiny ${prefix}`,
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      cpuCap: false,
      hostTags: [],
    });
    await opts.beforeDeploy?.({ admin, zoneId: zone.id });
    const [d] = await tenant.instance.deploy({
      zoneId: zone.id,
      templateId: template.id,
      computeOfferingId: offering.id,
      name: "guest",
      count: 1,
    });
    const deployed = await waitForJob(h.db, d!.jobId, 120_000);
    networkKeys = (await h.db.select({ number: networks.number }).from(networks)).map((n) => n.number.toString(36));
    if (deployed.status !== "succeeded") throw new Error(`deploy failed: ${deployed.error}`);
    vmName = `i-${(await h.db.select().from(instances).where(eq(instances.id, d!.id)))[0]!.number}`;
    let volId = "";
    let volName = "";
    if (opts.dataVolume !== false) {
      const [custom] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Custom disk"));
      const vol = await tenant.volume.create({ name: "data", zoneId: zone.id, diskOfferingId: custom!.id, sizeGib: 1, instanceId: d!.id });
      const attached = await waitForJob(h.db, vol.jobId, 120_000);
      if (attached.status !== "succeeded") throw new Error(`attach failed: ${attached.error}`);
      volId = vol.id;
      volName = `vol-${(await h.db.select().from(volumes).where(eq(volumes.id, vol.id)))[0]!.number}`;
    }
    return {
      t,
      admin,
      tenant,
      dir,
      primary,
      secondary,
      zoneId: zone.id,
      poolId: pool.id,
      storeId: store.id,
      hostId: host.id,
      vmId: d!.id,
      vmName,
      volId,
      volName,
      cleanUp,
      /** The volume's top file on the pool (what the VM uses): the snapshot overlay when there is one. */
      topFile() {
        const overlay = fs.readdirSync(primary).find((f) => f.startsWith(`${volName}.s-`));
        return path.join(primary, overlay ?? `${volName}.qcow2`);
      },
      serialLog: () => path.join(primary, `${vmName}-serial.log`),
    };
  } catch (e) {
    cleanUp();
    throw e;
  }
}

export type KvmZone = Awaited<ReturnType<typeof setUpKvmZone>>;
