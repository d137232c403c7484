/**
 * Real VMs: a real libvirtd with QEMU (TCG here), the tiny test guest built by
 * scripts/build-test-image.sh, and the whole Stratus path (router → job → driver → reconciler).
 *
 * Run by `npm test`'s "libvirt" suite (STRATUS_LIBVIRT_TESTS=1, set only when
 * `virsh -c qemu:///system version` answers); vitest.config.ts leaves this file out otherwise, so
 * the other suites neither run nor skip it. Needs root (qemu:///system) and the image at
 * .cache/test-image/tiny.qcow2 (or STRATUS_TEST_IMAGE).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { clusters, events, hosts, instances, jobs, pods, storagePools, zones } from "@/db/schema";
import { cpuCapPercent } from "@/server/orchestrator/jobs/handlers/vm";
import { cpuTuneFor } from "@/server/orchestrator/drivers/libvirt/xml";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { collectHost } from "@/server/orchestrator/metrics/collector";
import { reconcileHost } from "@/server/orchestrator/sync/reconciler";
import { openTestDb } from "@/test/db";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { api, callerFor, seedTenancy } from "@/test/fixtures";
import { testWorkers, waitFor, waitForJob } from "@/test/orchestrator";

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const domState = (name: string) => {
  try {
    return virsh("domstate", "--domain", name);
  } catch {
    return "missing";
  }
};

let h: DbHandle;
let workers: ReturnType<typeof testWorkers>;
let admin: ReturnType<typeof api>;
let tenant: ReturnType<typeof api>;
let dir: string;
let primary: string;
let secondary: string;
let hostId: string;
let zoneId: string;
let templateId: string;
let offeringId: string;
let biggerOfferingId: string;
let vmId: string;
let vmName: string;
const internal = (n: number) => `i-${n}`;

async function job(jobId: string, timeoutMs = 90_000) {
  const j = await waitForJob(h.db, jobId, timeoutMs);
  if (j.status === "failed") console.error(`job ${j.type} failed: ${j.error}`);
  return j;
}
async function vmRow() {
  const [vm] = await h.db.select().from(instances).where(eq(instances.id, vmId));
  return vm!;
}
const serialLog = () => path.join(primary, `${vmName}-serial.log`);
const bannerCount = () =>
  fs.existsSync(serialLog()) ? (fs.readFileSync(serialLog(), "utf8").match(/STRATUS-TINY-GUEST hostname=\S+ ready/g) ?? []).length : 0;

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("libvirt driver with a real libvirtd and a real guest", () => {
  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-libvirt-"));
    fs.chmodSync(dir, 0o755);
    primary = path.join(dir, "primary");
    secondary = path.join(dir, "secondary");
    fs.mkdirSync(primary);
    fs.mkdirSync(path.join(secondary, "templates"), { recursive: true });
    fs.copyFileSync(image, path.join(secondary, "templates", "tiny.qcow2"));
    orchestratorConfig.stopTimeoutMs = 30_000;

    h = await openTestDb();
    const t = await seedTenancy(h.db);
    admin = api(h.db, t.callers.admin);
    tenant = api(h.db, t.callers.tenant);
    workers = testWorkers(h, "libvirt-test", 4);
    const [z] = await h.db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [p] = await h.db.select().from(pods).where(eq(pods.zoneId, z!.id));
    zoneId = z!.id;
    const cluster = await admin.cluster.create({ podId: p!.id, name: "KVM local", hypervisorType: "kvm" });
    await admin.storagePool.create({
      zoneId,
      clusterId: cluster.id,
      name: "local primary",
      type: "local_dir",
      path: primary,
      capacityGib: 20,
    });
    const store = await admin.secondaryStore.create({ zoneId, name: "local secondary", path: secondary, capacityGib: 20 });
    const o = await admin.computeOffering.create({
      name: "Tiny KVM",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      cpuCap: false,
      hostTags: [],
    });
    const o2 = await admin.computeOffering.create({
      name: "Tiny KVM+",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 192,
      cpuCap: false,
      hostTags: [],
    });
    offeringId = o.id;
    biggerOfferingId = o2.id;
    (globalThis as { __store?: string }).__store = store.id;
  }, 120_000);

  afterAll(async () => {
    await workers?.stop();
    // Leave nothing behind on the host, whatever happened above.
    for (const line of (() => {
      try {
        return virsh("list", "--all", "--name").split("\n");
      } catch {
        return [];
      }
    })()) {
      const name = line.trim();
      if (
        name &&
        (name === vmName || name.startsWith("stratus-test-stray-") || /^i-\d+$/.test(name)) &&
        fs.existsSync(path.join(primary ?? "/nonexistent", `${name}-root.qcow2`))
      ) {
        try {
          virsh("destroy", "--domain", name);
        } catch {}
        try {
          virsh("undefine", "--domain", name);
        } catch {}
      }
    }
    await h?.close();
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("adds the local host by its URI, storing libvirt's capabilities and taking capacity from them", async () => {
    const bad = await admin.host
      .create({
        clusterId: (await h.db.select().from(clusters).where(eq(clusters.name, "KVM local")))[0]!.id,
        hypervisorType: "kvm",
        name: "nowhere",
        address: "qemu+ssh://nobody@127.0.0.1:9/system",
        cpuCores: 1,
        cpuMhz: 1,
        memoryMib: 1,
        tags: [],
      })
      .catch((e: Error) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/Cannot use libvirt at qemu\+ssh:\/\/nobody@127\.0\.0\.1:9\/system/);

    const [c] = await h.db.select().from(clusters).where(eq(clusters.name, "KVM local"));
    const host = await admin.host.create({
      clusterId: c!.id,
      hypervisorType: "kvm",
      name: "local-kvm",
      address: URI,
      cpuCores: 1,
      cpuMhz: 1,
      memoryMib: 1,
      tags: [],
    });
    hostId = host.id;
    const nodeinfo = virsh("nodeinfo");
    const cpus = Number(/CPU\(s\):\s+(\d+)/.exec(nodeinfo)![1]);
    const memKib = Number(/Memory size:\s+(\d+)/.exec(nodeinfo)![1]);
    expect(host.cpuCores).toBe(cpus);
    expect(host.memoryMib).toBe(Math.floor(memKib / 1024));
    expect(host.libvirtVersion).toMatch(/^\d+\.\d+/);
    expect(host.hypervisorVersion).toMatch(/QEMU/);
    expect(host.cpuModel).toBeTruthy();
    // This machine hides /dev/kvm (it hangs): the probe must say so, and VMs then run under TCG.
    const kvmUsable = fs.existsSync("/dev/kvm");
    if (!kvmUsable) expect(host.kvmAccelerated).toBe(false);
  });

  it("registers the tiny template from the secondary store and refuses a broken image", async () => {
    const storeId = (globalThis as { __store?: string }).__store!;
    fs.writeFileSync(path.join(secondary, "templates", "garbage.qcow2"), "this is not a disk image\n".repeat(100));
    const broken = await admin.template
      .register({
        name: "Broken",
        osType: "Linux",
        hypervisorType: "kvm",
        format: "qcow2",
        secondaryStoreId: storeId,
        path: "templates/garbage.qcow2",
        isPublic: true,
      })
      .catch((e: Error) => e);
    expect((broken as Error).message).toMatch(/not a qcow2 image/);
    const escape = await admin.template
      .register({
        name: "Escape",
        osType: "Linux",
        hypervisorType: "kvm",
        format: "qcow2",
        secondaryStoreId: storeId,
        path: "/etc/passwd",
        isPublic: true,
      })
      .catch((e: Error) => e);
    expect((escape as Error).message).toMatch(/inside the secondary store/);

    const t = await admin.template.register({
      name: "Tiny KVM guest",
      osType: "Other Linux (64-bit)",
      hypervisorType: "kvm",
      format: "qcow2",
      secondaryStoreId: storeId,
      path: "templates/tiny.qcow2",
      isPublic: true,
    });
    templateId = t.id;
    expect(t).toMatchObject({ hypervisorType: "kvm", format: "qcow2", sizeGib: 1, zoneId });
    const seen = await tenant.template.list({ zoneId });
    expect(seen.find((x) => x.id === t.id)).toMatchObject({ name: "Tiny KVM guest", path: "" });
  });

  it("deploys a real VM that runs and prints its banner on the serial console", async () => {
    const [d] = await tenant.instance.deploy({ zoneId, templateId, computeOfferingId: offeringId, name: "tiny-one", count: 1 });
    vmId = d!.id;
    const j = await job(d!.jobId);
    expect(j.error ?? null).toBeNull();
    expect(j.status).toBe("succeeded");
    const vm = await vmRow();
    vmName = internal(vm.number);
    expect(vm).toMatchObject({ state: "running", hostId });
    expect(domState(vmName)).toBe("running");
    const xml = virsh("dumpxml", "--domain", vmName);
    expect(xml).toMatch(/<domain type='(qemu|kvm)'/);
    expect(xml).toContain("<title>tiny-one</title>");
    // Root volume: a qcow2 overlay on the template copied once to primary storage.
    const info = JSON.parse(
      execFileSync("qemu-img", ["info", "-U", "--output=json", path.join(primary, `${vmName}-root.qcow2`)], { encoding: "utf8" }),
    ) as { "backing-filename": string };
    expect(info["backing-filename"]).toBe(path.join(primary, `template-${templateId}.qcow2`));
    const banner = await waitFor("the guest's banner", () => bannerCount() > 0, 60_000, 250);
    expect(banner).toBe(true);
    expect(fs.readFileSync(serialLog(), "utf8")).toContain("STRATUS-TINY-GUEST hostname=tiny-one ready");
  }, 150_000);

  it("collects metrics with one call per host and serves them scoped like instance.get", async () => {
    await collectHost(h.db, (await h.db.select().from(hosts).where(eq(hosts.id, hostId)))[0]!);
    await new Promise((r) => setTimeout(r, 1500));
    await collectHost(h.db, (await h.db.select().from(hosts).where(eq(hosts.id, hostId)))[0]!);
    const m = await tenant.metrics.forInstance({ id: vmId, minutes: 10 });
    expect(m.samples.length).toBe(2);
    expect(m.samples[1]!.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(m.samples[1]!.memoryMib).toBeGreaterThan(0);
    expect(m.totals!.diskReadBytes).toBeGreaterThan(0); // the guest read its kernel from the disk
    const other = await api(h.db, await callerFor(h.db, "tenant2"))
      .metrics.forInstance({ id: vmId, minutes: 10 })
      .catch((e: { code?: string }) => e);
    expect((other as { code?: string }).code).toBe("NOT_FOUND");
    const load = await admin.metrics.forHost({ id: hostId, minutes: 10 });
    expect(load.samples.at(-1)!.runningVms).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("stops gracefully through ACPI, starts again, reboots, and forces a stop", async () => {
    const t0 = Date.now();
    const s = await job((await tenant.instance.stop({ id: vmId, force: false })).jobId);
    expect(s.status).toBe("succeeded");
    // The guest powered itself off (acpid) well before the 30 s timeout that would force it.
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect((await vmRow()).state).toBe("stopped");
    expect(domState(vmName)).toBe("shut off");

    const st = await job((await tenant.instance.start({ id: vmId })).jobId);
    expect(st.status).toBe("succeeded");
    expect(domState(vmName)).toBe("running");
    await waitFor("the banner after start", () => bannerCount() >= 1, 60_000, 250);

    const r = await job((await tenant.instance.reboot({ id: vmId })).jobId);
    expect(r.status).toBe("succeeded");
    await waitFor("the banner after the reboot", () => bannerCount() >= 2, 90_000, 250);
    expect(domState(vmName)).toBe("running");

    const t1 = Date.now();
    const f = await job((await tenant.instance.stop({ id: vmId, force: true })).jobId);
    expect(f.status).toBe("succeeded");
    expect(Date.now() - t1).toBeLessThan(10_000);
    expect(domState(vmName)).toBe("shut off");
  }, 240_000);

  it("changes the offering while stopped and starts with the new size", async () => {
    await tenant.instance.changeOffering({ id: vmId, computeOfferingId: biggerOfferingId });
    const st = await job((await tenant.instance.start({ id: vmId })).jobId);
    expect(st.status).toBe("succeeded");
    expect(virsh("dumpxml", "--domain", vmName)).toMatch(/<memory unit='KiB'>196608<\/memory>/);
  }, 120_000);

  it("reconciles an out-of-band virsh destroy and reports a domain Stratus does not manage", async () => {
    virsh("destroy", "--domain", vmName);
    const stray = `stratus-test-stray-${process.pid}`;
    const xml = path.join(dir, "stray.xml");
    fs.writeFileSync(
      xml,
      `<domain type='qemu'><name>${stray}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
    );
    virsh("define", "--file", xml);
    try {
      const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
      const report = await reconcileHost(h.db, host!, { reportedUnknown: new Set() });
      expect(report.changed).toContainEqual({ vm: "tiny-one", from: "running", to: "stopped" });
      expect(report.unknownVms).toContain(stray);
      expect((await vmRow()).state).toBe("stopped");
      const evs = await h.db
        .select()
        .from(events)
        .where(and(eq(events.resourceId, vmId), eq(events.type, "VM.STOPPED.OUT_OF_BAND")));
      expect(evs).toHaveLength(1);
    } finally {
      virsh("undefine", "--domain", stray);
    }
  }, 60_000);

  it("destroys, recovers, and expunges leaving no domain and no disk behind", async () => {
    const d = await job((await tenant.instance.destroy({ id: vmId })).jobId);
    expect(d.status).toBe("succeeded");
    expect((await vmRow()).state).toBe("destroyed");
    await tenant.instance.recover({ id: vmId });
    expect((await vmRow()).state).toBe("stopped");
    await job((await tenant.instance.destroy({ id: vmId })).jobId);
    const e = await job((await tenant.instance.expunge({ id: vmId })).jobId);
    expect(e.status).toBe("succeeded");
    expect((await vmRow()).state).toBe("expunged");
    expect(domState(vmName)).toBe("missing");
    expect(fs.existsSync(path.join(primary, `${vmName}-root.qcow2`))).toBe(false);
    expect(fs.existsSync(serialLog())).toBe(false);
  }, 120_000);

  it("a template whose image is gone fails the deploy with a clear job error and an Error VM", async () => {
    const storeId = (globalThis as { __store?: string }).__store!;
    const file = path.join(secondary, "templates", "vanishing.qcow2");
    fs.copyFileSync(image, file);
    const t = await admin.template.register({
      name: "Vanishing",
      osType: "Linux",
      hypervisorType: "kvm",
      format: "qcow2",
      secondaryStoreId: storeId,
      path: "templates/vanishing.qcow2",
      isPublic: true,
    });
    fs.rmSync(file);
    const [d] = await tenant.instance.deploy({ zoneId, templateId: t.id, computeOfferingId: offeringId, name: "tiny-broken", count: 1 });
    const j = await job(d!.jobId);
    expect(j.status).toBe("failed");
    expect(j.error).toMatch(/Template image .*vanishing\.qcow2 is missing on the secondary store/);
    const [vm] = await h.db.select().from(instances).where(eq(instances.id, d!.id));
    expect(vm!.state).toBe("error");
    expect(domState(internal(vm!.number))).toBe("missing");
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(host!.cpuUsedMhz).toBe(0); // capacity given back
  }, 60_000);

  it("caps a capped offering's guest with a <cputune> quota that the running domain enforces", async () => {
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
    // A quarter of one host core per vCPU.
    const mhz = Math.max(1, Math.floor(host!.cpuMhz / 4));
    const capped = await admin.computeOffering.create({
      name: "Tiny KVM capped",
      cpuCores: 1,
      cpuMhz: mhz,
      memoryMib: 128,
      cpuCap: true,
      hostTags: [],
    });
    const expected = cpuTuneFor(cpuCapPercent(mhz, host!.cpuMhz))!;
    expect(expected.quotaUs).toBeGreaterThanOrEqual(24_000);
    expect(expected.quotaUs).toBeLessThanOrEqual(25_000);
    const [d] = await tenant.instance.deploy({ zoneId, templateId, computeOfferingId: capped.id, name: "tiny-capped", count: 1 });
    const j = await job(d!.jobId);
    expect(j.status).toBe("succeeded");
    const [vm] = await h.db.select().from(instances).where(eq(instances.id, d!.id));
    const name = internal(vm!.number);
    try {
      const xml = virsh("dumpxml", "--domain", name);
      expect(xml).toMatch(new RegExp(`<cputune>\\s*<period>${expected.periodUs}</period>\\s*<quota>${expected.quotaUs}</quota>`));
      // The running guest's scheduler parameters (cgroup CPU bandwidth) carry the cap.
      const sched = virsh("schedinfo", "--domain", name);
      expect(sched).toMatch(new RegExp(`vcpu_quota\\s*:\\s*${expected.quotaUs}\\b`));
      expect(sched).toMatch(new RegExp(`vcpu_period\\s*:\\s*${expected.periodUs}\\b`));
      // Its root disk is counted on the local pool until it is expunged.
      const [pool] = await h.db.select().from(storagePools).where(eq(storagePools.name, "local primary"));
      expect(pool!.usedGib).toBeGreaterThanOrEqual(1);
      await job((await tenant.instance.destroy({ id: d!.id })).jobId);
      expect((await job((await tenant.instance.expunge({ id: d!.id })).jobId)).status).toBe("succeeded");
      const [after] = await h.db.select().from(storagePools).where(eq(storagePools.id, pool!.id));
      expect(after!.usedGib).toBe(pool!.usedGib - 1);
    } finally {
      try {
        virsh("destroy", "--domain", name);
      } catch {}
    }
  }, 120_000);

  it("a host whose libvirt does not answer becomes Disconnected, then Down", async () => {
    const [c] = await h.db.select().from(clusters).where(eq(clusters.name, "KVM local"));
    const [ghost] = await h.db
      .insert(hosts)
      .values({
        clusterId: c!.id,
        podId: c!.podId,
        zoneId: c!.zoneId,
        name: "ghost",
        hypervisorType: "kvm",
        address: "qemu+ssh://nobody@127.0.0.1:9/system",
        cpuCores: 1,
        cpuMhz: 1000,
        memoryMib: 1024,
        lastSeenAt: new Date(),
      })
      .returning();
    const first = await reconcileHost(h.db, ghost!, { downAfterMs: 60_000 });
    expect(first.status).toBe("disconnected");
    const [again] = await h.db.select().from(hosts).where(eq(hosts.id, ghost!.id));
    const second = await reconcileHost(h.db, { ...again!, lastSeenAt: new Date(Date.now() - 120_000) }, { downAfterMs: 60_000 });
    expect(second.status).toBe("down");
    const evs = await h.db.select({ type: events.type }).from(events).where(eq(events.resourceId, ghost!.id));
    expect(evs.map((e) => e.type).sort()).toEqual(["HOST.DISCONNECTED", "HOST.DOWN"]);
    expect((await h.db.select().from(jobs).where(eq(jobs.status, "running"))).length).toBe(0);
  }, 60_000);
});
