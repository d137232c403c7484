/**
 * The console of a real libvirt VM through the console proxy: a real libvirtd with QEMU (TCG here),
 * the tiny test guest of scripts/build-test-image.sh, real tickets and next-auth cookies, QEMU's
 * own VNC server with the per-VM password the libvirt driver sets (the proxy answers its
 * challenge; the browser side gets security None).
 *
 * Run by `npm test`'s "libvirt" suite (STRATUS_LIBVIRT_TESTS=1); vitest.config.ts leaves
 * *.integration.test.ts out otherwise. Needs root (qemu:///system) and the image.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { DbHandle } from "@/db";
import { networks, pods, zones } from "@/db/schema";
import { createCaller } from "@/server/api/root";
import type { Caller } from "@/server/authz/caller";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { signInAs } from "@/test/sessions";
import { ByteQueue } from "./byte-queue";
import { createConsoleProxy } from "./proxy";
import { RfbTestClient, tcpTransport, type Transport } from "@/test/rfb-test-client";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { removeNetworkDevices } from "@/test/libvirt-cloud";

const URI = "qemu:///system";
const SECRET = "libvirt-console-test-secret-0123456789";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

let h: DbHandle;
let workers: ReturnType<typeof testWorkers>;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let server: Server;
let proxy: ReturnType<typeof createConsoleProxy>;
let base = "";
let dir = "";
let primary = "";
let vmId = "";
let domain = "";

/** A real sign-in (a sessions row and its JWT cookie) and a console ticket from the tRPC procedure. */
async function cookieAndTicket(caller: Caller, id: string) {
  const login = await signInAs(h.db, caller, SECRET);
  const ticket = await createCaller({ db: h.db, caller, session: { id: login.sid, version: login.sv } }).console.ticket({ id });
  return { cookie: login.cookie, ...ticket };
}

function wsTransport(url: string, cookie: string): Promise<Transport & { closeInfo: () => { code: number; reason: string } | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["binary"], { headers: { cookie } });
    const queue = new ByteQueue();
    let info: { code: number; reason: string } | null = null;
    const closed = new Promise<void>((r) =>
      ws.on("close", (code, reason) => {
        info = { code, reason: reason.toString() };
        queue.fail(new Error("closed"));
        r();
      }),
    );
    ws.on("message", (d: Buffer) => queue.push(d));
    ws.on("unexpected-response", (_q, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.on("error", reject);
    ws.on("open", () => resolve({ queue, write: (b) => ws.send(b), close: () => ws.close(), closed, closeInfo: () => info }));
  });
}

/** Share of pixels that are not black, and how many colours there are. */
function screenStats(c: RfbTestClient) {
  let lit = 0;
  const colours = new Set<number>();
  for (let i = 0; i < c.rgba.length; i += 4) {
    const v = (c.rgba[i]! << 16) | (c.rgba[i + 1]! << 8) | c.rgba[i + 2]!;
    if (v !== 0) lit++;
    if (colours.size < 32) colours.add(v);
  }
  return { lit: lit / (c.rgba.length / 4), colours: colours.size };
}

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("console of a real libvirt VM through the proxy", () => {
  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-console-"));
    fs.chmodSync(dir, 0o755);
    primary = path.join(dir, "primary");
    const secondary = path.join(dir, "secondary");
    fs.mkdirSync(primary);
    fs.mkdirSync(path.join(secondary, "templates"), { recursive: true });
    fs.copyFileSync(image, path.join(secondary, "templates", "tiny.qcow2"));
    orchestratorConfig.stopTimeoutMs = 30_000;
    h = await openTestDb();
    t = await seedTenancy(h.db);
    const admin = api(h.db, t.callers.admin);
    workers = testWorkers(h, "console-libvirt-test", 4);
    const [z] = await h.db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [p] = await h.db.select().from(pods).where(eq(pods.zoneId, z!.id));
    const cluster = await admin.cluster.create({ podId: p!.id, name: "KVM console", hypervisorType: "kvm" });
    await admin.storagePool.create({
      zoneId: z!.id,
      clusterId: cluster.id,
      name: "console primary",
      type: "local_dir",
      path: primary,
      capacityGib: 20,
    });
    const store = await admin.secondaryStore.create({ zoneId: z!.id, name: "console secondary", path: secondary, capacityGib: 20 });
    await admin.host.create({
      clusterId: cluster.id,
      hypervisorType: "kvm",
      name: "console-kvm",
      address: URI,
      cpuCores: 1,
      cpuMhz: 1,
      memoryMib: 1,
      tags: [],
    });
    const tpl = await admin.template.register({
      name: "Tiny console guest",
      osType: "Other Linux (64-bit)",
      hypervisorType: "kvm",
      format: "qcow2",
      secondaryStoreId: store.id,
      path: "templates/tiny.qcow2",
      isPublic: true,
    });
    const o = await admin.computeOffering.create({
      name: "Tiny console",
      cpuCores: 1,
      cpuMhz: 500,
      memoryMib: 128,
      cpuCap: false,
      hostTags: [],
    });
    const [d] = await api(h.db, t.callers.tenant).instance.deploy({
      zoneId: z!.id,
      templateId: tpl.id,
      computeOfferingId: o.id,
      name: "console-vm",
      count: 1,
    });
    vmId = d!.id;
    const j = await waitForJob(h.db, d!.jobId, 120_000);
    if (j.status !== "succeeded") throw new Error(`deploy failed: ${j.error}`);
    domain = `i-${(await api(h.db, t.callers.tenant).instance.get({ id: vmId })).number}`;

    proxy = createConsoleProxy({ db: h.db, secret: () => SECRET, log: () => undefined });
    server = createServer((_q, res) => res.end());
    server.on("upgrade", (req, socket, head) => {
      if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 240_000);

  afterAll(async () => {
    proxy?.close();
    server?.close();
    await workers?.stop();
    if (domain) {
      try {
        virsh("destroy", "--domain", domain);
      } catch {}
      try {
        virsh("undefine", "--domain", domain);
      } catch {}
    }
    // The deploy made the account's default network, with a router on this host: remove it too.
    if (h) removeNetworkDevices((await h.db.select({ number: networks.number }).from(networks)).map((n) => n.number.toString(36)));
    await h?.close();
    if (dir) undefinePoolsUnder(dir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the VM's VNC server has a password: a direct connection without it is refused", async () => {
    const xml = virsh("dumpxml", "--domain", domain, "--security-info");
    expect(xml).toMatch(/<graphics type='vnc'[^>]*passwd='[^']{8}'/);
    const port = 5900 + Number(/:(\d+)\s*$/.exec(virsh("vncdisplay", "--domain", domain))![1]);
    await expect(RfbTestClient.open(tcpTransport(port))).rejects.toThrow(/(no supported security type|password)/);
  });

  it("shows the guest's screen through the proxy, and closes when the VM is stopped", async () => {
    // The guest prints its banner on the serial log and the VGA screen once booted.
    await waitFor(
      "the guest's banner",
      () => {
        const log = path.join(primary, `${domain}-serial.log`);
        return fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("STRATUS-TINY-GUEST hostname=console-vm ready");
      },
      90_000,
      250,
    );
    const { cookie, ticket, path: p } = await cookieAndTicket(t.callers.tenant, vmId);
    const tr = await wsTransport(`${base}${p}?ticket=${ticket}`, cookie);
    const c = await RfbTestClient.open(tr);
    expect(c.width).toBeGreaterThanOrEqual(640);
    expect(c.height).toBeGreaterThanOrEqual(400);
    c.setPixelFormat32({ r: 16, g: 8, b: 0 });
    c.requestUpdate(false);
    await c.readUpdate();
    const first = screenStats(c);
    // Not a blank screen: text in a couple of colours on black.
    expect(first.lit).toBeGreaterThan(0.002);
    expect(first.colours).toBeGreaterThanOrEqual(2);
    // Keys go through (QEMU accepts them; the tiny guest has its shell on the serial line only).
    c.type("echo console", true);
    const { jobId } = await api(h.db, t.callers.tenant).instance.stop({ id: vmId, force: true });
    // Keep the client reading so QEMU's updates do not pile up while it goes away.
    void (async () => {
      for (;;) {
        c.requestUpdate(true);
        await c.readUpdate();
      }
    })().catch(() => undefined);
    await tr.closed;
    expect(tr.closeInfo()).toEqual({ code: 4001, reason: "VM stopped" });
    expect((await waitForJob(h.db, jobId, 90_000)).status).toBe("succeeded");
  }, 180_000);
});
