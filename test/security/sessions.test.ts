import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { decode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DbHandle, useAsProcessDb } from "@/db";
import { sessions, users } from "@/db/schema";
import { currentCaller } from "@/server/api/context";
import { onSignOut } from "@/server/auth/options";
import { sessionLifetimes } from "@/server/auth/session";
import { createConsoleProxy } from "@/server/console/proxy";
import { RfbTestClient } from "@/test/rfb-test-client";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { codeOf, connectWs, trpcClient, trpcHandler } from "@/test/http";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { signInAs, type TestLogin } from "@/test/sessions";

/**
 * Sessions end on the server: a cookie copied before sign-out (or before "sign out other
 * sessions", a password change, idle or absolute expiry) gets nothing from the tRPC API, the
 * server-rendered pages or the console proxy, all of which check the session the same way.
 */
const SECRET = "sessions-test-secret-0123456789abcdef";
process.env.NEXTAUTH_SECRET = SECRET;
process.env.STRATUS_CONSOLE_CHECK_MS = "150";

// Server pages read the request's headers through next/headers; outside Next.js we hand them in.
let pageHeaders = new Headers();
vi.mock("next/headers", () => ({ headers: () => Promise.resolve(pageHeaders) }));

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let server: Server;
let proxy: ReturnType<typeof createConsoleProxy>;
let wsBase: string;
let vm: { id: string };

const handler = () => trpcHandler(h.db);
const asCookie = (l: TestLogin) => trpcClient(handler(), l.cookie);
const login = (who: "tenant" | "admin" | "globex" = "tenant", ua = "vitest") =>
  signInAs(h.db, t.callers[who], SECRET, { ip: "198.51.100.7", userAgent: ua });

/** What a server-rendered page sees with this cookie. */
async function pageCaller(l: TestLogin) {
  pageHeaders = new Headers({ cookie: l.cookie });
  return currentCaller();
}

/** Signs out through next-auth's sign-out event, with the token it would decode from the cookie. */
async function signOut(l: TestLogin) {
  const token = await decode({ token: decodeURIComponent(l.cookie.split("=")[1]!), secret: SECRET });
  await onSignOut(h.db, token);
}

async function openConsole(l: TestLogin) {
  const { ticket, path } = await asCookie(l).console.ticket.mutate({ id: vm.id });
  const r = await connectWs(`${wsBase}${path}?ticket=${ticket}`, { cookie: l.cookie });
  if ("status" in r) throw new Error(`refused: ${r.status} ${r.body}`);
  await RfbTestClient.open(r.transport);
  return r;
}

beforeAll(async () => {
  h = await openTestDb();
  // Server pages use the process's database (getDb()): make it this test's.
  useAsProcessDb(h);
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "sessions-vm" });
  expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
  vm = { id: d!.id };
  proxy = createConsoleProxy({ db: h.db, secret: () => SECRET, log: () => undefined });
  server = createServer((_req, res) => res.end("not here"));
  server.on("upgrade", (req, socket, head) => {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  wsBase = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy?.close();
  server?.close();
  await workers?.stop();
  await h?.close();
});

describe(`sessions end on the server (${testDbKind()})`, () => {
  it("a cookie copied before sign-out gets nothing afterwards: tRPC, server pages and the console", async () => {
    const l = await login();
    const copy = l.cookie;
    const c = trpcClient(handler(), copy);
    expect((await c.session.me.query())?.username).toBe("tenant");
    expect((await c.instance.list.query({})).items.length).toBeGreaterThan(0);
    expect((await pageCaller(l))?.username).toBe("tenant");
    const spare = await c.console.ticket.mutate({ id: vm.id });
    const open = await openConsole(l);

    await signOut(l);

    expect(await c.session.me.query()).toBeNull();
    expect(await codeOf(c.instance.list.query({}))).toBe("UNAUTHORIZED");
    expect(await codeOf(c.instance.reboot.mutate({ id: vm.id }))).toBe("UNAUTHORIZED");
    expect(await codeOf(c.console.ticket.mutate({ id: vm.id }))).toBe("UNAUTHORIZED");
    expect(await pageCaller(l)).toBeNull();
    const refused = await connectWs(`${wsBase}${spare.path}?ticket=${spare.ticket}`, { cookie: copy });
    expect("status" in refused && refused.status).toBe(401);
    await open.transport.closed;
    expect(open.transport.closeInfo).toEqual({ code: 4004, reason: "Signed out" });
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, l.sid));
    expect(row!.endedReason).toBe("signed_out");
  });

  it("changing one's own password ends the user's other sessions, not the current one", async () => {
    const current = await login("globex", "Firefox");
    const other = await login("globex", "Safari");
    await asCookie(current).user.changeOwnPassword.mutate({ currentPassword: "stratus-globex", newPassword: "password-globex-2" });
    expect((await asCookie(current).session.me.query())?.username).toBe("globex");
    expect(await asCookie(other).session.me.query()).toBeNull();
    expect(await pageCaller(other)).toBeNull();
    expect((await pageCaller(current))?.username).toBe("globex");
    const listed = await asCookie(current).session.list.query();
    expect(listed.map((s) => [s.id, s.current])).toEqual([[current.sid, true]]);
  });

  it("a console of a session ended elsewhere closes; signing out all other sessions keeps this one", async () => {
    const here = await login("tenant", "Chrome here");
    const there = await login("tenant", "Chrome there");
    const open = await openConsole(there);
    const list = await asCookie(here).session.list.query();
    expect(list.find((s) => s.id === here.sid)?.current).toBe(true);
    expect(list.find((s) => s.id === there.sid)).toMatchObject({ current: false, ip: "198.51.100.7", userAgent: "Chrome there" });
    const { ended } = await asCookie(here).session.endOthers.mutate();
    expect(ended).toBeGreaterThanOrEqual(1);
    await open.transport.closed;
    expect(open.transport.closeInfo).toEqual({ code: 4004, reason: "Signed out" });
    expect(await asCookie(there).session.me.query()).toBeNull();
    expect((await asCookie(here).session.me.query())?.username).toBe("tenant");
    expect((await asCookie(here).session.list.query()).map((s) => s.id)).toEqual([here.sid]);
  });

  it("signs out one chosen session; another user's session is NOT_FOUND and stays", async () => {
    const mine = await login("tenant");
    const mine2 = await login("tenant");
    const theirs = await login("admin");
    expect(await codeOf(asCookie(mine).session.end.mutate({ id: theirs.sid }))).toBe("NOT_FOUND");
    expect((await asCookie(theirs).session.me.query())?.username).toBe("admin");
    await asCookie(mine).session.end.mutate({ id: mine2.sid });
    expect(await asCookie(mine2).session.me.query()).toBeNull();
    expect(await codeOf(asCookie(mine).session.end.mutate({ id: mine2.sid }))).toBe("NOT_FOUND");
    expect(await codeOf(asCookie(mine).session.end.mutate({ id: "not a session id!" }))).toBe("BAD_REQUEST");
  });

  it("a session ends after the idle lifetime, and after the absolute lifetime however active", async () => {
    const { idleMs, maxMs } = sessionLifetimes();
    const idle = await login();
    await h.db
      .update(sessions)
      .set({ lastSeenAt: new Date(Date.now() - idleMs - 60_000) })
      .where(eq(sessions.id, idle.sid));
    expect(await asCookie(idle).session.me.query()).toBeNull();
    expect(await pageCaller(idle)).toBeNull();

    const old = await login();
    await h.db
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - maxMs - 60_000) })
      .where(eq(sessions.id, old.sid));
    expect(await asCookie(old).session.me.query()).toBeNull();

    // Activity keeps a session alive: a request refreshes last_seen_at (at most once a minute).
    const active = await login();
    const stale = new Date(Date.now() - idleMs + 5 * 60_000);
    await h.db.update(sessions).set({ lastSeenAt: stale }).where(eq(sessions.id, active.sid));
    expect((await asCookie(active).session.me.query())?.username).toBe("tenant");
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, active.sid));
    expect(row!.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it("an admin's password reset (session version bump) still ends every session of the user", async () => {
    const l = await login("globex");
    expect((await asCookie(l).session.me.query())?.username).toBe("globex");
    await api(h.db, t.callers.admin).user.resetPassword({ id: t.callers.globex.userId, password: "password-reset-1" });
    expect(await asCookie(l).session.me.query()).toBeNull();
    const [u] = await h.db.select({ sv: users.sessionVersion }).from(users).where(eq(users.id, t.callers.globex.userId));
    expect(u!.sv).toBeGreaterThan(l.sv);
  });

  it("a cookie naming no session row (forged sid, or one from before sessions were kept) gets nothing", async () => {
    const l = await login();
    const { encode } = await import("next-auth/jwt");
    const forged = await encode({ token: { uid: t.callers.tenant.userId, sv: l.sv, sid: "made-up-session" }, secret: SECRET });
    expect(await trpcClient(handler(), `next-auth.session-token=${forged}`).session.me.query()).toBeNull();
    // Another user's sid under my uid does not work either.
    const admin = await login("admin");
    const swapped = await encode({ token: { uid: t.callers.tenant.userId, sv: l.sv, sid: admin.sid }, secret: SECRET });
    expect(await trpcClient(handler(), `next-auth.session-token=${swapped}`).session.me.query()).toBeNull();
  });
});
