import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { loginThrottle } from "@/db/schema";
import { authenticate } from "@/server/auth/login";
import { CLIENT_IP_HEADER, stampClientIp, trustedProxies } from "@/server/auth/client-ip";
import { beginAttempt, throttlePolicy, type ThrottlePolicy } from "@/server/auth/throttle";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { codeOf, trpcClient, trpcHandler } from "@/test/http";
import { signInAs } from "@/test/sessions";

/**
 * The login throttle counts failures per (username, address) and per address, in the database;
 * a per-username backstop only slows unknown addresses down. Nobody can lock a user out of their
 * account from another address, and X-Forwarded-For counts only behind a trusted proxy.
 */
const SECRET = "throttle-test-secret-0123456789abcdef";
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const reset = () => h.db.delete(loginThrottle).where(sql`true`); // every counter: the whole table is meant
const policy = (p: Partial<ThrottlePolicy>): ThrottlePolicy => ({ ...throttlePolicy(), ...p });

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const r = await p;
  return [r, Date.now() - started];
}

describe(`login throttle (${testDbKind()})`, () => {
  it("an attacker at address X cannot lock the owner out from address Y", async () => {
    await reset();
    // Far past the per-(user, address) limit, from X, with the default policy.
    for (let i = 0; i < 15; i++) await authenticate(h.db, "admin", `guess-${i}`, "203.0.113.66");
    expect(await authenticate(h.db, "admin", "stratus-admin", "203.0.113.66")).toEqual({ ok: false, reason: "throttled" });
    // Not slowed either: the verdict for the owner's address carries no delay (asserted on the
    // verdict, not on wall time, which a loaded machine stretches).
    expect(await beginAttempt(h.db, "admin", "198.51.100.10", throttlePolicy())).toEqual({ allowed: true, delayMs: 0 });
    expect((await authenticate(h.db, "admin", "stratus-admin", "198.51.100.10")).ok).toBe(true);
  });

  it("limits failures per address across usernames; other addresses are unaffected", async () => {
    await reset();
    const p = policy({ addressMax: 5 });
    for (let i = 0; i < 5; i++)
      expect(await authenticate(h.db, `nobody-${i}`, "x", "203.0.113.7", { policy: p })).toEqual({ ok: false, reason: "invalid" });
    expect(await authenticate(h.db, "tenant", "stratus-tenant", "203.0.113.7", { policy: p })).toEqual({ ok: false, reason: "throttled" });
    expect((await authenticate(h.db, "tenant", "stratus-tenant", "203.0.113.8", { policy: p })).ok).toBe(true);
  });

  it("successes do not count: the owner signs in again and again from one address", async () => {
    await reset();
    const p = policy({ pairMax: 2, addressMax: 2 });
    for (let i = 0; i < 5; i++)
      expect((await authenticate(h.db, "tenant", "stratus-tenant", "198.51.100.20", { policy: p })).ok).toBe(true);
  });

  it("parallel guesses cannot slip past the limit (the count is one atomic upsert)", async () => {
    await reset();
    const p = policy({ pairMax: 4 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => authenticate(h.db, "tenant", `parallel-${i}`, "203.0.113.9", { policy: p })),
    );
    expect(results.filter((r) => !r.ok && r.reason === "invalid")).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.reason === "throttled")).toHaveLength(8);
  });

  it("past the per-username backstop, unknown addresses are slowed down, never refused; the owner's known address is not slowed", async () => {
    await reset();
    const p = policy({ pairMax: 3, userBackstop: 4, backstopDelayMs: 1500 });
    // The owner signed in from 198.51.100.30 before (a session row remembers the address).
    expect((await authenticate(h.db, "reseller", "stratus-reseller", "198.51.100.30", { policy: p })).ok).toBe(true);
    // A distributed guesser: 3 failures from each of 2 addresses = 6 > 4.
    for (let a = 0; a < 2; a++)
      for (let i = 0; i < 3; i++) await authenticate(h.db, "reseller", `guess-${a}-${i}`, `203.0.113.${100 + a}`, { policy: p });
    const [fromNew, slow] = await timed(authenticate(h.db, "reseller", "stratus-reseller", "198.51.100.31", { policy: p }));
    expect(fromNew.ok).toBe(true);
    expect(slow).toBeGreaterThanOrEqual(1500);
    expect(await beginAttempt(h.db, "reseller", "198.51.100.30", p)).toEqual({ allowed: true, delayMs: 0 });
    expect((await authenticate(h.db, "reseller", "stratus-reseller", "198.51.100.30", { policy: p })).ok).toBe(true);
  });

  it("user.changeOwnPassword's current-password check is throttled the same way", async () => {
    await reset();
    const l = await signInAs(h.db, t.callers.globex, SECRET);
    process.env.NEXTAUTH_SECRET = SECRET;
    const fromX = trpcClient(trpcHandler(h.db, "203.0.113.50"), l.cookie);
    const max = throttlePolicy().pairMax;
    for (let i = 0; i < max; i++)
      expect(await codeOf(fromX.user.changeOwnPassword.mutate({ currentPassword: `wrong-${i}`, newPassword: "password-new-9" }))).toBe(
        "BAD_REQUEST",
      );
    expect(await codeOf(fromX.user.changeOwnPassword.mutate({ currentPassword: "stratus-globex", newPassword: "password-new-9" }))).toBe(
      "TOO_MANY_REQUESTS",
    );
    // The same account's sign-in from that address is throttled too; from elsewhere it works.
    expect(await authenticate(h.db, "globex", "stratus-globex", "203.0.113.50")).toEqual({ ok: false, reason: "throttled" });
    const fromY = trpcClient(trpcHandler(h.db, "198.51.100.40"), l.cookie);
    expect(await codeOf(fromY.user.changeOwnPassword.mutate({ currentPassword: "stratus-globex", newPassword: "password-new-9" }))).toBe(
      "OK",
    );
  });
});

describe("client address and X-Forwarded-For", () => {
  let server: Server;
  let url: string;
  let proxies: ReturnType<typeof trustedProxies> = null;
  const seen: string[] = [];

  beforeAll(async () => {
    // What server.ts does with every request, then a sign-in keyed on the stamped address.
    server = createServer((req: IncomingMessage, res) => {
      stampClientIp(req, proxies);
      const ip = String(req.headers[CLIENT_IP_HEADER]);
      seen.push(ip);
      void authenticate(h.db, "tenant", "wrong-password", ip, { policy: policy({ pairMax: 3 }) }).then((r) =>
        res.end(r.ok ? "ok" : r.reason),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server.close());

  const attempt = async (xff?: string, extra: Record<string, string> = {}) =>
    (await fetch(url, { headers: { ...(xff ? { "x-forwarded-for": xff } : {}), ...extra } })).text();

  it("ignores X-Forwarded-For (and a forged client-address header) unless a trusted proxy is configured", async () => {
    await reset();
    proxies = trustedProxies("");
    seen.length = 0;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await attempt(`203.0.113.${i}`, { [CLIENT_IP_HEADER]: `198.51.100.${i}` }));
    expect(new Set(seen)).toEqual(new Set(["127.0.0.1"]));
    expect(answers).toEqual(["invalid", "invalid", "invalid", "throttled", "throttled"]);
  });

  it("behind a trusted proxy, the client is the first untrusted address from the right", async () => {
    await reset();
    proxies = trustedProxies("127.0.0.1, 10.0.0.0/8");
    seen.length = 0;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await attempt(`192.0.2.77, 203.0.113.${i}, 10.1.2.3`));
    expect(seen).toEqual(["203.0.113.0", "203.0.113.1", "203.0.113.2", "203.0.113.3"]);
    expect(answers).toEqual(["invalid", "invalid", "invalid", "invalid"]);
    expect(() => trustedProxies("not-an-ip")).toThrow(/STRATUS_TRUSTED_PROXIES/);
  });
});
