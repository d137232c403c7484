/**
 * npm run bench:libvirt — time from the deploy call to the VM Running in Stratus, against the same
 * steps by hand (qemu-img create of the overlay, virsh define, virsh start), over several runs.
 * Needs root, a running libvirtd (qemu:///system) and the tiny image (scripts/build-test-image.sh).
 * Prints a final JSON line: {"runs","stratusMedianMs","virshMedianMs","overheadRatio",…}.
 *   BENCH_RUNS (default 7); DATABASE_URL: run on a fresh database on that PostgreSQL server.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { openBenchDb } from "./bench-db";
import { instances, pods, zones } from "@/db/schema";
import { seed } from "@/db/seed";
import { macFor, uuidFor } from "@/server/orchestrator/drivers/libvirt/driver";
import { domainXml } from "@/server/orchestrator/drivers/libvirt/xml";
import { api, callerFor } from "@/test/fixtures";
import { testWorkers, waitForJob } from "@/test/orchestrator";
import { undefinePoolsUnder } from "@/test/libvirt-pools";

const URI = "qemu:///system";
const runs = Number(process.env.BENCH_RUNS ?? 7);
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

import { LibvirtDriver } from "@/server/orchestrator/drivers/libvirt/driver";
const timing: Record<string, number[]> = {};
if (process.env.BENCH_DEBUG)
  for (const m of ["create", "start"] as const) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- patched in place; orig is called with apply(this) below
    const orig = LibvirtDriver.prototype[m];
    (LibvirtDriver.prototype as unknown as Record<string, unknown>)[m] = async function (this: LibvirtDriver, ...a: unknown[]) {
      const t = performance.now();
      try {
        return await (orig as (...x: unknown[]) => Promise<void>).apply(this, a);
      } finally {
        (timing[m] ??= []).push(Math.round(performance.now() - t));
      }
    };
  }
async function main() {
  if (!fs.existsSync(image)) throw new Error(`${image} is missing: run scripts/build-test-image.sh first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-bench-libvirt-"));
  fs.chmodSync(dir, 0o755);
  const primary = path.join(dir, "primary");
  const secondary = path.join(dir, "secondary");
  fs.mkdirSync(primary);
  fs.mkdirSync(secondary);
  fs.copyFileSync(image, path.join(secondary, "tiny.qcow2"));

  const { h, kind, drop } = await openBenchDb();
  await h.migrate();
  await seed(h.db, { demo: true });
  const admin = api(h.db, await callerFor(h.db, "admin"));
  const tenant = api(h.db, await callerFor(h.db, "tenant"));
  const workers = testWorkers(h, "bench-libvirt", 4);
  const [z] = await h.db.select().from(zones).where(eq(zones.name, "Zone 1"));
  const [p] = await h.db.select().from(pods).where(eq(pods.zoneId, z!.id));
  const cluster = await admin.cluster.create({ podId: p!.id, name: "KVM bench", hypervisorType: "kvm" });
  await admin.storagePool.create({
    zoneId: z!.id,
    clusterId: cluster.id,
    name: "bench primary",
    type: "local_dir",
    path: primary,
    capacityGib: 20,
  });
  const store = await admin.secondaryStore.create({ zoneId: z!.id, name: "bench secondary", path: secondary, capacityGib: 20 });
  await admin.host.create({
    clusterId: cluster.id,
    hypervisorType: "kvm",
    name: "bench-kvm",
    address: URI,
    cpuCores: 1,
    cpuMhz: 1,
    memoryMib: 1,
    tags: [],
  });
  const t = await admin.template.register({
    name: "Tiny",
    osType: "Linux",
    hypervisorType: "kvm",
    format: "qcow2",
    secondaryStoreId: store.id,
    path: "tiny.qcow2",
    isPublic: true,
  });
  const o = await admin.computeOffering.create({ name: "Bench", cpuCores: 1, cpuMhz: 500, memoryMib: 128, cpuCap: false, hostTags: [] });

  async function stratusRun(i: number) {
    const t0 = performance.now();
    const [d] = await tenant.instance.deploy({ zoneId: z!.id, templateId: t.id, computeOfferingId: o.id, name: `bench-${i}`, count: 1 });
    for (;;) {
      const [vm] = await h.db.select({ state: instances.state }).from(instances).where(eq(instances.id, d!.id));
      if (vm!.state === "running") break;
      if (vm!.state === "error") throw new Error(`deploy failed: ${(await waitForJob(h.db, d!.jobId)).error}`);
      // Poll gently: a tight loop would compete for the CPU with libvirtd and QEMU starting the VM.
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - t0;
    await waitForJob(h.db, d!.jobId);
    await waitForJob(h.db, (await tenant.instance.stop({ id: d!.id, force: true })).jobId);
    await waitForJob(h.db, (await tenant.instance.destroy({ id: d!.id })).jobId);
    await waitForJob(h.db, (await tenant.instance.expunge({ id: d!.id })).jobId);
    return ms;
  }

  const base = path.join(primary, `template-${t.id}.qcow2`);
  function virshRun(i: number) {
    const name = `bench-hand-${process.pid}-${i}`;
    const disk = path.join(primary, `${name}-root.qcow2`);
    const xmlFile = path.join(dir, `${name}.xml`);
    const xml = domainXml({
      name,
      uuid: uuidFor(name),
      domainType: "qemu",
      vcpus: 1,
      memoryMib: 128,
      title: name,
      hostname: name,
      disks: [{ path: disk, format: "qcow2", target: "vda" }],
      nics: [{ type: "user", mac: macFor(name) }],
      vnc: { listen: "127.0.0.1" },
      serialLogPath: path.join(primary, `${name}-serial.log`),
    });
    fs.writeFileSync(xmlFile, xml);
    const t0 = performance.now();
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, disk, String(1024 ** 3)]);
    virsh("define", "--file", xmlFile);
    virsh("start", "--domain", name);
    const ms = performance.now() - t0;
    virsh("destroy", "--domain", name);
    virsh("undefine", "--domain", name);
    fs.rmSync(disk, { force: true });
    fs.rmSync(path.join(primary, `${name}-serial.log`), { force: true });
    return ms;
  }

  // Warm-up (not counted): copies the template to primary storage once, warms caches on both sides.
  await stratusRun(0);
  virshRun(0);
  const stratus: number[] = [];
  const byHand: number[] = [];
  for (let i = 1; i <= runs; i++) {
    // Alternate the order so neither side always runs on a warmer machine.
    if (i % 2) {
      stratus.push(await stratusRun(i));
      byHand.push(virshRun(i));
    } else {
      byHand.push(virshRun(i));
      stratus.push(await stratusRun(i));
    }
    console.log(`run ${i}: stratus ${stratus.at(-1)!.toFixed(0)} ms, by hand ${byHand.at(-1)!.toFixed(0)} ms`);
  }
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(timing));
  await workers.stop();
  await h.close();
  await drop();
  undefinePoolsUnder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const s = median(stratus);
  const v = median(byHand);
  console.log(
    JSON.stringify({
      db: kind,
      runs,
      stratusMedianMs: Math.round(s),
      virshMedianMs: Math.round(v),
      overheadRatio: Math.round((s / v) * 100) / 100,
      stratusMs: stratus.map(Math.round),
      virshMs: byHand.map(Math.round),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
