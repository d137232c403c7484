import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { createConsoleProxy } from "@/server/console/proxy";
import { openConsoles } from "@/server/console/registry";
import { RfbTestClient } from "@/test/rfb-test-client";
import { upgradeRouter } from "@/server/upgrade";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { connectWs, trpcClient, trpcHandler, type Opened } from "@/test/http";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { signInAs } from "@/test/sessions";

/**
 * WebSocket upgrades: only the console path is taken (and Next.js's hot-reload socket in
 * development); any other path gets a 404 and a closed socket at once instead of hanging open.
 * Each user may hold a limited number of consoles; one more is closed with a clear reason.
 */
const SECRET = "upgrade-test-secret-0123456789abcdef";
process.env.NEXTAUTH_SECRET = SECRET;

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vmId: string;
const servers: Server[] = [];
const sockets: Opened[] = [];

async function serve(dev: boolean, maxPerUser = 8) {
  const proxy = createConsoleProxy({ db: h.db, secret: () => SECRET, log: () => undefined, maxPerUser: () => maxPerUser });
  const nextCalls: string[] = [];
  const server = createServer((_req, res) => res.end("page"));
  // Stands in for Next.js's upgrade handler: it answers a hot-reload socket with a 101.
  const nextUpgrade = (req: { url?: string }, socket: net.Socket | import("node:stream").Duplex) => {
    nextCalls.push(req.url ?? "");
    socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  };
  server.on("upgrade", upgradeRouter({ consoles: proxy, dev, next: nextUpgrade }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, nextCalls, proxy };
}

/** A raw upgrade request: what comes back, and whether the server closed the connection. */
function rawUpgrade(port: number, path: string): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let response = "";
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ response, closed: false });
    }, 3000);
    sock.on("data", (d: Buffer) => (response += d.toString()));
    sock.on("close", () => {
      clearTimeout(timer);
      resolve({ response, closed: true });
    });
    sock.on("error", () => undefined);
    sock.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
  });
}

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "upgrade-vm" });
  expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
  vmId = d!.id;
});
afterEach(() => sockets.splice(0).forEach((s) => s.ws.terminate()));
afterAll(async () => {
  servers.forEach((s) => s.close());
  await workers?.stop();
  await h?.close();
});

describe(`WebSocket upgrades (${testDbKind()})`, () => {
  it("answers an upgrade on any other path with 404 and closes the socket at once", async () => {
    const { port } = await serve(false);
    for (const path of ["/", "/api/trpc/session.me", "/_next/webpack-hmr", "/api/consolex/1"]) {
      const started = Date.now();
      const r = await rawUpgrade(port, path);
      expect(r.response).toMatch(/^HTTP\/1\.1 404 /);
      expect(r.closed).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it("in development, passes Next.js's hot-reload upgrade to Next; other paths still 404", async () => {
    const { port, nextCalls } = await serve(true);
    expect((await rawUpgrade(port, "/_next/webpack-hmr?id=1")).response).toMatch(/^HTTP\/1\.1 101 /);
    expect(nextCalls).toEqual(["/_next/webpack-hmr?id=1"]);
    expect((await rawUpgrade(port, "/somewhere")).response).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("caps open consoles per user: one more is closed with a clear reason; others' consoles are not counted", async () => {
    const { port } = await serve(false, 2);
    const l = await signInAs(h.db, t.callers.tenant, SECRET);
    const api2 = trpcClient(trpcHandler(h.db), l.cookie);
    const open = async () => {
      const { ticket, path } = await api2.console.ticket.mutate({ id: vmId });
      const r = await connectWs(`ws://127.0.0.1:${port}${path}?ticket=${ticket}`, { cookie: l.cookie });
      if ("status" in r) throw new Error(`refused ${r.status} ${r.body}`);
      sockets.push(r);
      return r;
    };
    const first = await open();
    await RfbTestClient.open(first.transport);
    const second = await open();
    await RfbTestClient.open(second.transport);
    const third = await open();
    await third.transport.closed;
    expect(third.transport.closeInfo).toEqual({ code: 4029, reason: "Too many open consoles: at most 2 per user; close one first" });
    // The admin has consoles of its own.
    const admin = await signInAs(h.db, t.callers.admin, SECRET);
    const { ticket, path } = await trpcClient(trpcHandler(h.db), admin.cookie).console.ticket.mutate({ id: vmId });
    const adminConsole = await connectWs(`ws://127.0.0.1:${port}${path}?ticket=${ticket}`, { cookie: admin.cookie });
    if ("status" in adminConsole) throw new Error("admin refused");
    sockets.push(adminConsole);
    await RfbTestClient.open(adminConsole.transport);
    // Closing one makes room again.
    first.ws.close();
    await waitFor("the first console to close", () => openConsoles().filter((c) => c.userId === t.callers.tenant.userId).length === 1);
    const again = await open();
    await RfbTestClient.open(again.transport);
    expect(again.transport.closeInfo).toBeNull();
  });
});
