/**
 * Networks end to end on a real libvirt host, through the services and jobs (not the driver
 * directly; drivers/libvirt/network/networks.network.test.ts checks the router itself): a tenant
 * deploys the tiny guest into a KVM zone whose public bridge is the test lab's, its default
 * isolated network is implemented on the host, the guest's DHCP address is the NIC address the
 * portal shows; a public IP gives it source NAT to the lab's "internet"; a router broken by hand is
 * repaired by the reconciler; the metrics cycle records the NIC's bytes as usage; stopping,
 * starting, destroying and expunging the VM and deleting the network leaves nothing on the host.
 *
 * Runs in npm test's "networks" suite only (STRATUS_NETWORK_TESTS=1): root, the lab's tools,
 * libvirtd and the image at .cache/test-image/tiny.qcow2. One TCG guest, reused throughout.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, jobs, networks, usageEvents } from "@/db/schema";
import { collectAll } from "@/server/orchestrator/metrics/collector";
import { networkDevices } from "@/server/orchestrator/network/spec";
import { reconcileNetworks } from "@/server/orchestrator/sync/networks";
import { openTestDb } from "@/test/db";
import { type KvmZone, setUpKvmZone, virsh } from "@/test/libvirt-cloud";
import { NetworkLab } from "@/test/network-lab";
import { testWorkers, waitFor, waitForJob } from "@/test/orchestrator";

const lab = new NetworkLab();
let h: DbHandle;
let workers: ReturnType<typeof testWorkers>;
let kvm: KvmZone | undefined;
let networkId = "";
let key = "";
let guestIp = "";

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
const dev = () => networkDevices(key);
const namespaces = () =>
  sh("ip", ["netns", "list"])
    .stdout.split("\n")
    .map((l) => l.split(" ")[0]);
const linkExists = (name: string) => sh("ip", ["link", "show", name]).status === 0;
const dnsmasqPids = () =>
  sh("ip", ["netns", "pids", dev().namespace])
    .stdout.split(/\s+/)
    .filter(Boolean)
    .filter((pid) => fs.existsSync(`/proc/${pid}/comm`) && fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "dnsmasq");
/** An HTTP GET from the router's namespace (it sits on the guest bridge): the body or null. */
const getFromRouter = (url: string) => {
  const r = sh("ip", ["netns", "exec", dev().namespace, "curl", "-s", "--max-time", "8", url]);
  return r.status === 0 ? r.stdout.trim() : null;
};
/**
 * The guest itself fetches the internet's /cgi-bin/ip: the address the internet sees, or null when
 * the guest cannot reach it (its fetch answers wget's error then).
 */
const guestSeenAs = () => {
  const body = getFromRouter(`http://${guestIp}/cgi-bin/fetch?${lab.server}/cgi-bin/ip`);
  return body && /^\d+\.\d+\.\d+\.\d+$/.test(body) ? body : null;
};
const leases = () => [
  ...(fs.existsSync(kvm!.serialLog()) ? fs.readFileSync(kvm!.serialLog(), "utf8") : "").matchAll(/STRATUS-TINY-GUEST eth0 (\S+)/g),
];

/** Waits for the network's last job (acquire queues a network.restart) and expects it to succeed. */
async function networkJobDone() {
  const [j] = await h.db.select().from(jobs).where(eq(jobs.resourceId, networkId)).orderBy(desc(jobs.createdAt)).limit(1);
  expect(j).toBeDefined();
  const done = await waitForJob(h.db, j!.id, 120_000);
  expect(done.status, done.error ?? "").toBe("succeeded");
}
/** What the router holds, for a failure message. */
const routerState = () =>
  ["addr", "route"].map((c) => sh("ip", ["-n", dev().namespace, c]).stdout).join("\n") +
  sh("ip", ["netns", "exec", dev().namespace, "nft", "list", "ruleset"]).stdout;

/** The guest's side as the host sees it, for a failure message. */
const diagnose = () =>
  [
    sh("ip", ["netns", "exec", dev().namespace, "busybox", "ping", "-c", "1", "-W", "2", guestIp]).stdout,
    sh("ip", ["-n", dev().namespace, "neigh"]).stdout,
    sh("bridge", ["link", "show", "master", dev().bridge]).stdout,
    sh("ip", ["link", "show", "master", dev().bridge]).stdout,
    virsh("domiflist", kvm!.vmName),
    fs.readFileSync(kvm!.serialLog(), "utf8").slice(-1500),
  ].join("\n");

async function ok<T extends { jobId: string }>(p: Promise<T>, timeoutMs = 180_000): Promise<T> {
  const r = await p;
  const j = await waitForJob(h.db, r.jobId, timeoutMs);
  expect(j.status, j.error ?? "").toBe("succeeded");
  return r;
}

describe.runIf(process.env.STRATUS_NETWORK_TESTS === "1")("networks through the services on a libvirt host (real traffic)", () => {
  beforeAll(async () => {
    lab.setup();
    h = await openTestDb();
    workers = testWorkers(h);
    // Network keys are base 36 of the network's number: start at this run's prefix (`zq<run>0`), so
    // its devices carry the lab's per-run names and a dead run's leftovers are cleaned up.
    await h.db.execute(sql`select setval(pg_get_serial_sequence('networks', 'number'), ${parseInt(lab.run, 36) * 36})`);
    kvm = await setUpKvmZone(h, `net${lab.run}`, {
      dataVolume: false,
      keepNetworkNumbers: true,
      beforeDeploy: async ({ admin, zoneId }) => {
        await admin.zoneNetwork.update({ zoneId, guestCidr: "10.1.1.0/24", publicBridge: lab.publicBridge, guestUplink: "" });
        await admin.publicIpRange.add({
          zoneId,
          gateway: lab.gateway,
          prefixLength: 24,
          vlan: null,
          startIp: "203.0.113.50",
          endIp: "203.0.113.59",
        });
      },
    });
  }, 400_000);

  afterAll(async () => {
    kvm?.cleanUp();
    if (key) {
      const { namespace, bridge, guestVeth, publicVeth } = dev();
      sh("ip", ["netns", "del", namespace]);
      for (const l of [guestVeth, publicVeth, bridge]) sh("ip", ["link", "del", l]);
    }
    lab.teardown();
    await workers?.stop();
    await h?.close();
  }, 120_000);

  it("deploys the guest on its implemented default network: its DHCP address is the portal's NIC address", async () => {
    const nicList = await kvm!.tenant.nic.list({ instanceId: kvm!.vmId });
    expect(nicList).toHaveLength(1);
    networkId = nicList[0]!.networkId;
    guestIp = nicList[0]!.ip!;
    const [n] = await h.db.select().from(networks).where(eq(networks.id, networkId));
    expect(n!.state).toBe("implemented");
    expect(n!.routerHostId).toBe(kvm!.hostId);
    key = n!.number.toString(36);
    expect(key.startsWith(lab.run)).toBe(true);
    expect(namespaces()).toContain(dev().namespace);
    expect(linkExists(dev().bridge)).toBe(true);
    expect(dnsmasqPids()).toHaveLength(1);
    // The domain's NIC is on the network's bridge with the NIC's MAC.
    const iflist = virsh("domiflist", kvm!.vmName);
    expect(iflist).toContain(dev().bridge);
    expect(iflist.toLowerCase()).toContain(nicList[0]!.mac.toLowerCase());
    await waitFor("the guest's DHCP lease", () => leases().length > 0, 180_000, 500);
    expect(leases()[0]![1]).toBe(guestIp);
    const detail = await kvm!.tenant.instance.get({ id: kvm!.vmId });
    expect(detail.ipAddress).toBe(guestIp);
    // The guest's web server answers its hostname from that address.
    const web = await waitFor("the guest's web server", () => getFromRouter(`http://${guestIp}/`), 60_000, 500).catch(() => null);
    expect(web, diagnose()).toBe("guest");
  }, 600_000);

  it("a public IP gives the network source NAT: the internet sees the guest as that address", async () => {
    expect(guestSeenAs()).toBeNull(); // no public side yet
    const ip = await kvm!.tenant.publicIp.acquire({ networkId });
    await networkJobDone();
    const [acquired] = await kvm!.tenant.publicIp.list({ networkId });
    expect(acquired!.id).toBe(ip.id);
    expect(acquired!.isSourceNat).toBe(true);
    const seen = await waitFor("outbound traffic through source NAT", () => guestSeenAs(), 30_000, 500).catch(() => null);
    expect(seen, routerState()).toBe(acquired!.address);
  }, 120_000);

  it("the reconciler repairs a router whose dnsmasq was killed and whose rules were flushed", async () => {
    expect(await reconcileNetworks(h.db)).toEqual([]);
    for (const pid of dnsmasqPids()) process.kill(Number(pid), "SIGKILL");
    expect(sh("ip", ["netns", "exec", dev().namespace, "nft", "flush", "ruleset"]).status).toBe(0);
    await waitFor("dnsmasq to be gone", () => dnsmasqPids().length === 0, 10_000, 100);
    expect(guestSeenAs()).toBeNull(); // no NAT without the rules

    const repairs = await reconcileNetworks(h.db);
    expect(repairs).toHaveLength(1);
    expect(repairs[0]!.differences.join("; ")).toMatch(/dnsmasq is not running/);
    expect(repairs[0]!.differences.join("; ")).toMatch(/nftables/);
    const repaired = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, networkId), eq(events.type, "NETWORK.REPAIRED")));
    expect(repaired).toHaveLength(1);
    expect(dnsmasqPids()).toHaveLength(1);
    const seen = await waitFor("source NAT again", () => guestSeenAs(), 30_000, 500).catch(() => null);
    expect(seen, routerState()).toMatch(/^203\.0\.113\.5\d$/);
    expect(await reconcileNetworks(h.db)).toEqual([]);
  }, 120_000);

  it("the metrics cycle records the NIC's bytes sent and received since its last sample as usage", async () => {
    const [nic] = await kvm!.tenant.nic.list({ instanceId: kvm!.vmId });
    const nicFacts = async () =>
      (await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, kvm!.vmId))).filter(
        (f) => (f.details as { nicId?: string } | null)?.nicId === nic!.id,
      );
    await collectAll(h.db);
    const before = await nicFacts();
    expect(before.map((f) => f.type).sort()).toEqual(["NETWORK.BYTES.RECEIVED", "NETWORK.BYTES.SENT"]);
    // Traffic through the NIC: the router asks the guest to fetch from the internet, five times.
    for (let i = 0; i < 5; i++) expect(guestSeenAs()).not.toBeNull();
    await collectAll(h.db);
    const bytes = (type: string) =>
      nicFacts().then((fs) =>
        fs.filter((f) => f.type === type && !before.some((b) => b.id === f.id)).map((f) => (f.details as { bytes: number }).bytes),
      );
    // Five HTTP exchanges each way: well over a kilobyte sent and received since the last sample.
    const [sent] = await bytes("NETWORK.BYTES.SENT");
    const [received] = await bytes("NETWORK.BYTES.RECEIVED");
    expect(sent).toBeGreaterThan(1000);
    expect(received).toBeGreaterThan(1000);
  }, 120_000);

  it("stop and start keep the network; destroy, expunge and delete leave nothing on the host", async () => {
    await ok(kvm!.tenant.instance.stop({ id: kvm!.vmId }));
    fs.truncateSync(kvm!.serialLog(), 0);
    await ok(kvm!.tenant.instance.start({ id: kvm!.vmId }));
    await waitFor("a new DHCP lease after start", () => leases().length > 0, 180_000, 500);
    expect(leases().at(-1)![1]).toBe(guestIp);
    expect(await waitFor("source NAT after start", () => guestSeenAs(), 60_000, 500)).toMatch(/^203\.0\.113\.5\d$/);

    await ok(kvm!.tenant.instance.destroy({ id: kvm!.vmId }));
    await ok(kvm!.tenant.instance.expunge({ id: kvm!.vmId }));
    await ok(kvm!.tenant.network.delete({ id: networkId }));
    expect(await h.db.select().from(networks).where(eq(networks.id, networkId))).toHaveLength(0);
    expect(namespaces()).not.toContain(dev().namespace);
    for (const l of [dev().bridge, dev().guestVeth, dev().publicVeth]) expect(linkExists(l), l).toBe(false);
    expect(sh("pgrep", ["-f", `${dev().namespace}/dnsmasq.conf`]).status).toBe(1);
  }, 600_000);
});
