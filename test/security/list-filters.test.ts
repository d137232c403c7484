import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, users } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/**
 * The list filters the UI sends (events by account, domain or user; instances by host) never widen
 * or reveal: an object outside the caller's scope is NOT_FOUND, and a host filter is the root admin's.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let tenantUserId = "";

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  const [u] = await h.db.select({ id: users.id }).from(users).where(eq(users.username, "tenant"));
  tenantUserId = u!.id;
  // Two events of acme-dev (the seed writes none for it).
  const reseller = api(h.db, t.callers.reseller);
  await reseller.account.rename({ id: t.tenantAccount.id, name: "acme-dev-renamed" });
  await reseller.account.rename({ id: t.tenantAccount.id, name: "acme-dev" });
});
afterAll(() => h.close());

async function codeOf(p: Promise<unknown>) {
  const e = await p.then(() => null).catch((err: unknown) => err);
  return e instanceof TRPCError ? e.code : e instanceof Error ? String(e) : e ? JSON.stringify(e) : "OK";
}

describe(`list filters stay in scope on ${testDbKind()}`, () => {
  it("events: another subtree's account, domain or user is NOT_FOUND", async () => {
    const outsider = api(h.db, t.callers.reseller2);
    expect(await codeOf(outsider.event.list({ accountId: t.tenantAccount.id }))).toBe("NOT_FOUND");
    expect(await codeOf(outsider.event.list({ domainId: t.domains.acme.id }))).toBe("NOT_FOUND");
    expect(await codeOf(outsider.event.list({ userId: tenantUserId }))).toBe("NOT_FOUND");
    // A tenant of the same domain cannot filter by another account's user either.
    expect(await codeOf(api(h.db, t.callers.tenant2).event.list({ userId: tenantUserId }))).toBe("NOT_FOUND");
  });

  it("events: an account filter in scope returns that account's events, named", async () => {
    const page = await api(h.db, t.callers.reseller).event.list({ accountId: t.tenantAccount.id, pageSize: 200 });
    expect(page.items.length).toBeGreaterThan(0);
    for (const e of page.items) {
      expect(e.accountId).toBe(t.tenantAccount.id);
      expect(e.accountName).toBe("acme-dev");
    }
    const domain = await api(h.db, t.callers.admin).event.list({ domainId: t.domains.initech.id, pageSize: 200 });
    expect(domain.items.length).toBeGreaterThan(0);
    expect(domain.items.every((e) => e.domainPath?.startsWith(t.domains.initech.path))).toBe(true);
    const recent = await api(h.db, t.callers.admin).event.list({
      from: new Date(Date.now() - 3_600_000),
      userId: t.callers.admin.userId,
      pageSize: 200,
    });
    expect(recent.items.length).toBeGreaterThan(0);
    expect(recent.items.every((e) => e.actorUserId === t.callers.admin.userId)).toBe(true);
  });

  it("instances: a host filter matches nothing for anyone but the root admin", async () => {
    const [host] = await h.db.select({ id: hosts.id }).from(hosts).limit(1);
    const tenant = await api(h.db, t.callers.tenant).instance.list({ hostId: host!.id });
    expect(tenant.items).toEqual([]);
    const reseller = await api(h.db, t.callers.reseller).instance.list({ hostId: host!.id });
    expect(reseller.total).toBe(0);
  });
});
