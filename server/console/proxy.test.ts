import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { endSession } from "@/server/auth/session";
import { signInAs } from "@/test/sessions";
import { connectWs } from "@/test/http";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { DbHandle } from "@/db";
import { events, users } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { createCaller } from "@/server/api/root";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { BACKGROUND, CELL_H, ROW, textMask } from "@/server/orchestrator/drivers/simulator/rfb/screen";
import { createConsoleProxy } from "./proxy";
import { openConsoles } from "./registry";
import { RfbTestClient, type Transport } from "@/test/rfb-test-client";
import { issueTicket } from "./tickets";

/**
 * The console proxy end to end, below the browser: a real HTTP server taking upgrades with the
 * proxy, real tickets from the tRPC procedure, real next-auth JWT cookies, the simulator's RFB
 * server behind it. Every refusal is checked at the WebSocket level.
 */
const SECRET = "console-test-secret-0123456789abcdef";
process.env.STRATUS_CONSOLE_CHECK_MS = "150";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let server: Server;
let proxy: ReturnType<typeof createConsoleProxy>;
let base: string;
let vm1: { id: string; name: string };
let vm2: { id: string; name: string };
const logs: string[] = [];
const sockets: WebSocket[] = [];

interface Login {
  caller: Caller;
  sid: string;
  cookie: string;
}

/** A sign-in (a sessions row and its JWT cookie); the label only names it in the test. */
async function login(caller: Caller, _label: string): Promise<Login> {
  return signInAs(h.db, caller, SECRET);
}

/** A ticket from the real tRPC procedure, as this sign-in. */
const ticketFor = async (l: Login, id: string) => {
  const [u] = await h.db.select({ sv: users.sessionVersion }).from(users).where(eq(users.id, l.caller.userId));
  return createCaller({ db: h.db, caller: l.caller, session: { id: l.sid, version: u!.sv } }).console.ticket({ id });
};

/** Opens the WebSocket (test/http.ts); resolves with it, or with the HTTP status the upgrade was refused with. */
async function connect(path: string, headers: Record<string, string> = {}) {
  const r = await connectWs(`${base}${path}`, headers);
  if ("ws" in r) sockets.push(r.ws);
  return r;
}

const closeInfoOf = (tr: Transport) => (tr as Transport & { closeInfo: { code: number; reason: string } | null }).closeInfo;

async function openConsole(l: Login, id: string) {
  const { ticket, path } = await ticketFor(l, id);
  const r = await connect(`${path}?ticket=${ticket}`, { cookie: l.cookie });
  if ("status" in r) throw new Error(`refused: ${r.status} ${r.body}`);
  const client = await RfbTestClient.open(r.transport);
  return { ...r, client };
}

async function refusal(path: string, headers: Record<string, string> = {}) {
  const r = await connect(path, headers);
  if (!("status" in r)) {
    r.ws.close();
    throw new Error("the upgrade was accepted");
  }
  return r.status;
}

const shows = (c: RfbTestClient, row: number, text: string) => c.showsText(textMask(text), 0, row * CELL_H, BACKGROUND);

async function deploy(name: string) {
  const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name });
  expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
  return { id: d!.id, name };
}

let tenant: Login;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  vm1 = await deploy("console-1");
  vm2 = await deploy("console-2");
  proxy = createConsoleProxy({ db: h.db, secret: () => SECRET, log: (m) => logs.push(m) });
  server = createServer((_req, res) => res.end("not here"));
  server.on("upgrade", (req, socket, head) => {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tenant = await login(t.callers.tenant, "tenant-login-1");
});

afterEach(() => {
  sockets.splice(0).forEach((s) => s.terminate());
  delete process.env.STRATUS_CONSOLE_IDLE_SECONDS;
});

afterAll(async () => {
  proxy?.close();
  server?.close();
  await workers?.stop();
  await h?.close();
});

describe(`console proxy (${testDbKind()})`, () => {
  it("opens a simulator VM's console through the proxy: the screen shows the VM, typing changes it, events are recorded", async () => {
    const { client, ws } = await openConsole(tenant, vm1.id);
    expect(client.name).toMatch(/^console-1 \(i-\d+\)$/);
    client.requestUpdate(false);
    await client.readUpdate();
    expect(shows(client, ROW.banner, "Stratus simulated console")).toBe(true);
    expect(shows(client, ROW.name, `VM: ${client.name}`)).toBe(true);
    const before = Buffer.from(client.rgba);
    client.type("uname -a", true);
    for (let i = 0; i < 10 && !shows(client, ROW.terminal + 1, "you typed: uname -a"); i++) {
      client.requestUpdate(true);
      await client.readUpdate();
    }
    expect(shows(client, ROW.terminal + 1, "you typed: uname -a")).toBe(true);
    expect(Buffer.from(client.rgba).equals(before)).toBe(false);
    expect(openConsoles().filter((c) => c.instanceId === vm1.id)).toHaveLength(1);
    ws.close();
    await waitFor("the session to end", () => openConsoles().length === 0);
    const types = await waitFor("open and close events", async () => {
      const rows = await h.db
        .select({ type: events.type, actor: events.actorUserId })
        .from(events)
        .where(and(eq(events.resourceId, vm1.id)));
      const ts = rows.filter((r) => r.type.startsWith("VM.CONSOLE.")).map((r) => `${r.type}:${r.actor === t.callers.tenant.userId}`);
      return ts.length >= 2 ? ts : null;
    });
    expect(types).toEqual(expect.arrayContaining(["VM.CONSOLE.OPEN:true", "VM.CONSOLE.CLOSE:true"]));
  });

  it("refuses a connection without a ticket, and an unknown path", async () => {
    expect(await refusal(`/api/console/${vm1.id}`, { cookie: tenant.cookie })).toBe(401);
    expect(await refusal(`/api/console/${vm1.id}?ticket=`, { cookie: tenant.cookie })).toBe(401);
    expect(await refusal(`/api/console/not-a-vm?ticket=x`, { cookie: tenant.cookie })).toBe(404);
  });

  it("refuses an expired ticket", async () => {
    const [u] = await h.db.select({ sv: users.sessionVersion }).from(users).where(eq(users.id, tenant.caller.userId));
    const { ticket } = await issueTicket(
      h.db,
      { userId: tenant.caller.userId, sessionVersion: u!.sv, sessionId: tenant.sid, instanceId: vm1.id },
      1,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(await refusal(`/api/console/${vm1.id}?ticket=${ticket}`, { cookie: tenant.cookie })).toBe(403);
  });

  it("refuses a reused ticket", async () => {
    const { ticket, path } = await ticketFor(tenant, vm1.id);
    const first = await connect(`${path}?ticket=${ticket}`, { cookie: tenant.cookie });
    expect("ws" in first).toBe(true);
    expect(await refusal(`${path}?ticket=${ticket}`, { cookie: tenant.cookie })).toBe(403);
  });

  it("refuses a ticket for another VM", async () => {
    const { ticket } = await ticketFor(tenant, vm2.id);
    expect(await refusal(`/api/console/${vm1.id}?ticket=${ticket}`, { cookie: tenant.cookie })).toBe(403);
  });

  it("refuses another user's ticket, and a ticket of another sign-in of the same user", async () => {
    const admin = await login(t.callers.admin, "admin-login");
    const adminTicket = await ticketFor(admin, vm1.id); // root admin may open any VM's console
    expect(await refusal(`${adminTicket.path}?ticket=${adminTicket.ticket}`, { cookie: tenant.cookie })).toBe(403);
    const other = await login(t.callers.tenant, "tenant-login-2");
    const otherTicket = await ticketFor(other, vm1.id);
    expect(await refusal(`${otherTicket.path}?ticket=${otherTicket.ticket}`, { cookie: tenant.cookie })).toBe(403);
  });

  it("refuses a tampered ticket", async () => {
    const { ticket, path } = await ticketFor(tenant, vm1.id);
    const flipped = `${ticket.slice(0, -1)}${ticket.endsWith("A") ? "B" : "A"}`;
    expect(await refusal(`${path}?ticket=${flipped}`, { cookie: tenant.cookie })).toBe(403);
    expect(await refusal(`${path}?ticket=${ticket}x`, { cookie: tenant.cookie })).toBe(403);
  });

  it("refuses a WebSocket without the session cookie, or with a forged one, and spends the ticket", async () => {
    const { ticket, path } = await ticketFor(tenant, vm1.id);
    expect(await refusal(`${path}?ticket=${ticket}`)).toBe(401);
    expect(await refusal(`${path}?ticket=${ticket}`, { cookie: tenant.cookie })).toBe(403); // spent
    const second = await ticketFor(tenant, vm1.id);
    const forged = await encode({
      token: { uid: t.callers.tenant.userId, sv: 0, sid: tenant.sid },
      secret: "another-secret-0123456789abcdef",
    });
    expect(await refusal(`${second.path}?ticket=${second.ticket}`, { cookie: `next-auth.session-token=${forged}` })).toBe(401);
  });

  it("refuses a cross-origin WebSocket", async () => {
    const { ticket, path } = await ticketFor(tenant, vm1.id);
    expect(await refusal(`${path}?ticket=${ticket}`, { cookie: tenant.cookie, origin: "http://evil.example" })).toBe(403);
  });

  it("accepts a WebSocket from an origin in STRATUS_ALLOWED_ORIGINS, as the API does", async () => {
    const before = process.env.STRATUS_ALLOWED_ORIGINS;
    process.env.STRATUS_ALLOWED_ORIGINS = "https://admin.example.com";
    try {
      const { ticket, path } = await ticketFor(tenant, vm1.id);
      const r = await connect(`${path}?ticket=${ticket}`, { cookie: tenant.cookie, origin: "https://admin.example.com" });
      expect("ws" in r).toBe(true);
      const other = await ticketFor(tenant, vm1.id);
      expect(await refusal(`${other.path}?ticket=${other.ticket}`, { cookie: tenant.cookie, origin: "https://other.example.com" })).toBe(
        403,
      );
    } finally {
      if (before === undefined) delete process.env.STRATUS_ALLOWED_ORIGINS;
      else process.env.STRATUS_ALLOWED_ORIGINS = before;
    }
  });

  it("gives no ticket to a tenant of another account, nor for a VM that is not running", async () => {
    const other = await login(t.callers.tenant2, "tenant2-login");
    const code = await ticketFor(other, vm1.id).then(
      () => "OK",
      (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
    );
    expect(code).toBe("NOT_FOUND");
    const noSession = await api(h.db, t.callers.tenant)
      .console.ticket({ id: vm1.id })
      .then(
        () => "OK",
        (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
      );
    expect(noSession).toBe("PRECONDITION_FAILED");
  });

  it("closes the session when the user signs out, and refuses that sign-in's cookie afterwards", async () => {
    const l = await login(t.callers.tenant, "tenant-login-signout");
    const { transport } = await openConsole(l, vm1.id);
    const spare = await ticketFor(l, vm1.id);
    await endSession(h.db, l.sid, "signed_out");
    await transport.closed;
    expect(closeInfoOf(transport)).toEqual({ code: 4004, reason: "Signed out" });
    expect(await refusal(`${spare.path}?ticket=${spare.ticket}`, { cookie: l.cookie })).toBe(401);
  });

  it("closes the session when the user is disabled (access revoked)", async () => {
    const l = await login(t.callers.tenant, "tenant-login-disable");
    const { transport } = await openConsole(l, vm1.id);
    await h.db.update(users).set({ state: "disabled" }).where(eq(users.id, t.callers.tenant.userId));
    try {
      await transport.closed;
      expect(closeInfoOf(transport)).toEqual({ code: 4003, reason: "Access revoked" });
    } finally {
      await h.db.update(users).set({ state: "enabled" }).where(eq(users.id, t.callers.tenant.userId));
    }
  });

  it("closes an idle session; update requests alone do not count as activity", async () => {
    process.env.STRATUS_CONSOLE_IDLE_SECONDS = "1";
    const { transport, client } = await openConsole(tenant, vm1.id);
    const started = Date.now();
    client.requestUpdate(false);
    await client.readUpdate();
    // Keep asking for updates (the uptime changes every second) without typing.
    void (async () => {
      for (;;) {
        client.requestUpdate(true);
        await client.readUpdate();
      }
    })().catch(() => undefined);
    await transport.closed;
    expect(closeInfoOf(transport)).toEqual({ code: 4008, reason: "Closed after being idle" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("closes the session when the VM is stopped, and refuses new tickets for it", async () => {
    const { transport } = await openConsole(tenant, vm2.id);
    const { jobId } = await api(h.db, t.callers.tenant).instance.stop({ id: vm2.id, force: true });
    await transport.closed;
    expect(closeInfoOf(transport)).toEqual({ code: 4001, reason: "VM stopped" });
    expect((await waitForJob(h.db, jobId)).status).toBe("succeeded");
    const code = await ticketFor(tenant, vm2.id).then(
      () => "OK",
      (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
    );
    expect(code).toBe("CONFLICT");
  });
});
