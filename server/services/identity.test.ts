import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, domains, events, users } from "@/db/schema";
import { resolveCaller } from "@/server/auth/session";
import { authenticate } from "@/server/auth/login";
import { openTestDb, testDbKind } from "@/test/db";
import { api, callerFor, seedTenancy } from "@/test/fixtures";
import { consume } from "@/server/core/limits";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

async function codeOf(p: Promise<unknown>) {
  const e = await p.then(() => null).catch((err: unknown) => err);
  return e instanceof TRPCError ? e.code : e instanceof Error ? String(e) : e ? JSON.stringify(e) : "OK";
}

describe(`domains on ${testDbKind()}`, () => {
  it("a reseller sees only its own subtree", async () => {
    const tree = await api(h.db, t.callers.reseller).domain.tree();
    expect(tree.map((d) => d.name).sort()).toEqual(["Acme Cloud", "Team A"]);
    expect(await codeOf(api(h.db, t.callers.reseller).domain.get({ id: t.domains.globex.id }))).toBe("NOT_FOUND");
    expect(await codeOf(api(h.db, t.callers.reseller).domain.get({ id: t.domains.root.id }))).toBe("NOT_FOUND");
  });

  it("creates sub-domains of any depth with materialised paths", async () => {
    const r = api(h.db, t.callers.reseller);
    const l2 = await r.domain.create({ parentId: t.domains.teamA.id, name: "Level 2" });
    const l3 = await r.domain.create({ parentId: l2.id, name: "Level 3" });
    expect(l3.path).toBe(`${t.domains.teamA.path}${l2.id}/${l3.id}/`);
    expect(l3.level).toBe(4);
    expect(await codeOf(r.domain.create({ parentId: t.domains.globex.id, name: "x" }))).toBe("NOT_FOUND");
  });

  it("rejects duplicate sibling names with a CONFLICT naming the field", async () => {
    const e = await api(h.db, t.callers.reseller)
      .domain.create({ parentId: t.domains.acme.id, name: "Team A" })
      .catch((err: TRPCError) => err);
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).code).toBe("CONFLICT");
    expect((e as TRPCError).message).toMatch(/already exists under Acme Cloud/);
  });

  it("validates input and names the field", async () => {
    const e = await api(h.db, t.callers.reseller)
      .domain.create({ parentId: t.domains.acme.id, name: "a/b" })
      .catch((err: TRPCError) => err);
    expect((e as TRPCError).code).toBe("BAD_REQUEST");
    expect((e as TRPCError).message).toMatch(/slashes/);
  });

  it("a reseller cannot rename, move or delete its own domain", async () => {
    const r = api(h.db, t.callers.reseller);
    expect(await codeOf(r.domain.rename({ id: t.domains.acme.id, name: "Mine" }))).toBe("BAD_REQUEST");
    expect(await codeOf(r.domain.delete({ id: t.domains.acme.id }))).toBe("BAD_REQUEST");
    expect(await codeOf(r.domain.move({ id: t.domains.acme.id, parentId: t.domains.teamA.id }))).toBe("BAD_REQUEST");
  });

  it("moves a subtree, rewriting paths and moving its use between ancestors", async () => {
    const admin = api(h.db, t.callers.admin);
    const src = await admin.domain.create({ parentId: t.domains.globex.id, name: "Movable" });
    const child = await admin.domain.create({ parentId: src.id, name: "Child" });
    const acc = await admin.account.create({
      domainId: child.id,
      name: "mover",
      type: "user",
      username: "mover",
      password: "password-mover",
    });
    await h.db.transaction((tx) => consume(tx, acc.account.id, { instances: 2 }));
    await admin.domain.move({ id: src.id, parentId: t.domains.initech.id });
    const [movedChild] = await h.db.select().from(domains).where(eq(domains.id, child.id));
    expect(movedChild!.path).toBe(`${t.domains.initech.path}${src.id}/${child.id}/`);
    expect(movedChild!.level).toBe(3);
    const globex = await admin.limit.forDomain({ domainId: t.domains.globex.id });
    const initech = await admin.limit.forDomain({ domainId: t.domains.initech.id });
    expect(globex.limits.find((l) => l.resourceType === "instances")!.used).toBe(0);
    expect(initech.limits.find((l) => l.resourceType === "instances")!.used).toBeGreaterThanOrEqual(2);
    // The account's events follow the domain, so reseller2 now sees them.
    const seen = await api(h.db, await callerFor(h.db, "reseller2")).event.list({ search: "mover" });
    expect(seen.items.length).toBeGreaterThan(0);
    expect(await codeOf(admin.domain.move({ id: src.id, parentId: child.id }))).toBe("BAD_REQUEST");
  });

  it("refuses to delete a domain that still has accounts or sub-domains", async () => {
    const e = await api(h.db, t.callers.admin)
      .domain.delete({ id: t.domains.acme.id })
      .catch((err: TRPCError) => err);
    expect((e as TRPCError).code).toBe("BAD_REQUEST");
    expect((e as TRPCError).message).toMatch(/still has 1 sub-domain\(s\), 2 account\(s\)/);
    const empty = await api(h.db, t.callers.reseller).domain.create({ parentId: t.domains.acme.id, name: "Empty" });
    await api(h.db, t.callers.reseller).domain.delete({ id: empty.id });
    // Marked removed (history may name it), gone from every view.
    expect((await h.db.select().from(domains).where(eq(domains.id, empty.id)))[0]!.removedAt).not.toBeNull();
    expect(await codeOf(api(h.db, t.callers.reseller).domain.get({ id: empty.id }))).toBe("NOT_FOUND");
  });
});

describe(`accounts and users on ${testDbKind()}`, () => {
  it("a reseller creates accounts in its subtree only, and never root admins", async () => {
    const r = api(h.db, t.callers.reseller);
    const { account, user } = await r.account.create({
      domainId: t.domains.teamA.id,
      name: "team-a-dev",
      type: "user",
      username: "alice",
      password: "password-alice",
    });
    expect(account.domainId).toBe(t.domains.teamA.id);
    expect(user.username).toBe("alice");
    expect(
      await codeOf(r.account.create({ domainId: t.domains.globex.id, name: "x", type: "user", username: "bob", password: "password-bob" })),
    ).toBe("NOT_FOUND");
    expect(
      await codeOf(
        r.account.create({ domainId: t.domains.acme.id, name: "x", type: "root_admin", username: "bob", password: "password-bob" }),
      ),
    ).toBe("FORBIDDEN");
    // Nothing half-made: the refused calls left no user behind.
    expect(await h.db.select().from(users).where(eq(users.username, "bob"))).toHaveLength(0);
  });

  it("a taken username is a CONFLICT on the username field and leaves no account behind", async () => {
    const e = await api(h.db, t.callers.reseller)
      .account.create({ domainId: t.domains.acme.id, name: "dupe", type: "user", username: "tenant", password: "password-dupe" })
      .catch((err: TRPCError) => err);
    expect((e as TRPCError).code).toBe("CONFLICT");
    expect((e as TRPCError).message).toMatch(/Username "tenant" is already taken/);
    expect(await h.db.select().from(accounts).where(eq(accounts.name, "dupe"))).toHaveLength(0);
  });

  it("lists only accounts and users in scope", async () => {
    const names = (await api(h.db, t.callers.reseller).account.list({ pageSize: 200 })).items.map((a) => a.name);
    expect(names).toContain("acme-dev");
    expect(names).not.toContain("globex-ops");
    expect(names).not.toContain("admin");
    const usernames = (await api(h.db, t.callers.reseller2).user.list({ pageSize: 200 })).items.map((u) => u.username);
    expect(usernames).toContain("tenant2");
    expect(usernames).not.toContain("tenant");
    expect(JSON.stringify(await api(h.db, t.callers.reseller).user.list({}))).not.toMatch(/passwordHash|scrypt\$/);
  });

  it("disabling an account refuses login and ends its users' sessions", async () => {
    const tenant = await callerFor(h.db, "tenant2");
    const [u] = await h.db.select().from(users).where(eq(users.username, "tenant2"));
    await api(h.db, t.callers.reseller2).account.setState({ id: tenant.accountId, state: "disabled" });
    expect(await resolveCaller(h.db, u!.id, u!.sessionVersion)).toBeNull();
    const login = await authenticate(h.db, "tenant2", "password-tenant2", "10.0.0.1");
    expect(login).toEqual({ ok: false, reason: "disabled" });
    await api(h.db, t.callers.reseller2).account.setState({ id: tenant.accountId, state: "enabled" });
    const again = await authenticate(h.db, "tenant2", "password-tenant2", "10.0.0.1");
    expect(again.ok).toBe(true);
    // The old session stays ended: a new login is needed.
    expect(await resolveCaller(h.db, u!.id, u!.sessionVersion)).toBeNull();
  });

  it("a password reset ends sessions; a locked user cannot log in", async () => {
    const acc = await api(h.db, t.callers.admin).account.create({
      domainId: t.domains.globex.id,
      name: "locky",
      type: "user",
      username: "locky",
      password: "password-locky",
    });
    const login = await authenticate(h.db, "locky", "password-locky", "10.0.0.2");
    expect(login.ok).toBe(true);
    const sv = login.ok ? login.sessionVersion : -1;
    expect(await resolveCaller(h.db, acc.user.id, sv)).not.toBeNull();
    await api(h.db, t.callers.admin).user.resetPassword({ id: acc.user.id, password: "password-new1" });
    expect(await resolveCaller(h.db, acc.user.id, sv)).toBeNull();
    expect((await authenticate(h.db, "locky", "password-locky", "10.0.0.2")).ok).toBe(false);
    await api(h.db, t.callers.admin).user.setState({ id: acc.user.id, state: "locked" });
    expect(await authenticate(h.db, "locky", "password-new1", "10.0.0.2")).toEqual({ ok: false, reason: "disabled" });
  });

  it("deleting an account puts it in removing at once and queues its cleanup job (server/services/account-deletion.test.ts runs it)", async () => {
    const admin = api(h.db, t.callers.admin);
    const { account, user } = await admin.account.create({
      domainId: t.domains.globex.id,
      name: "owner",
      type: "user",
      username: "owner",
      password: "password-owner",
    });
    await h.db.transaction((tx) => consume(tx, account.id, { volumes: 1 }));
    const { jobId } = await admin.account.delete({ id: account.id });
    const detail = await admin.account.get({ id: account.id });
    expect(detail.state).toBe("removing");
    expect(detail.cleanup?.id).toBe(jobId);
    expect(await authenticate(h.db, "owner", "password-owner", "10.0.0.9")).toEqual({ ok: false, reason: "disabled" });
    // Its users stay until the cleanup removes them.
    expect(await h.db.select().from(users).where(eq(users.id, user.id))).toHaveLength(1);
  });

  it("nobody changes or deletes their own account or user through admin procedures", async () => {
    const r = api(h.db, t.callers.reseller);
    expect(await codeOf(r.account.setState({ id: t.callers.reseller.accountId, state: "disabled" }))).toBe("BAD_REQUEST");
    expect(await codeOf(r.user.delete({ id: t.callers.reseller.userId }))).toBe("BAD_REQUEST");
  });

  it("changing one's own password needs the current one", async () => {
    const me = await callerFor(h.db, "globex");
    expect(await codeOf(api(h.db, me).user.changeOwnPassword({ currentPassword: "wrong-password", newPassword: "password-x1" }))).toBe(
      "BAD_REQUEST",
    );
    await api(h.db, me).user.changeOwnPassword({ currentPassword: "stratus-globex", newPassword: "password-x1" });
    expect((await authenticate(h.db, "globex", "password-x1", "10.0.0.3")).ok).toBe(true);
  });
});

describe(`limits administration on ${testDbKind()}`, () => {
  it("a reseller cannot set a child's limit above its own domain's limit", async () => {
    await api(h.db, t.callers.admin).limit.setForDomain({ domainId: t.domains.acme.id, limits: { instances: 50 } });
    const r = api(h.db, t.callers.reseller);
    const e = await r.limit.setForDomain({ domainId: t.domains.teamA.id, limits: { instances: 51 } }).catch((err: TRPCError) => err);
    expect((e as TRPCError).message).toMatch(/cannot exceed your domain's limit of 50/);
    expect(await codeOf(r.limit.setForDomain({ domainId: t.domains.teamA.id, limits: { instances: null } }))).toBe("BAD_REQUEST");
    await r.limit.setForDomain({ domainId: t.domains.teamA.id, limits: { instances: 40 } });
    await r.limit.setForAccount({ accountId: t.tenantAccount.id, limits: { instances: 30 } });
    expect(await codeOf(r.limit.setForDomain({ domainId: t.domains.acme.id, limits: { instances: 5 } }))).toBe("BAD_REQUEST");
    expect(await codeOf(r.limit.setForAccount({ accountId: t.callers.globex.accountId, limits: { instances: 1 } }))).toBe("NOT_FOUND");
    const mine = await api(h.db, t.callers.tenant).limit.mine();
    expect(mine.find((l) => l.resourceType === "instances")!.max).toBe(30);
  });

  it("rejects negative limits naming the field", async () => {
    const e = await api(h.db, t.callers.admin)
      .limit.setForAccount({ accountId: t.tenantAccount.id, limits: { vcpus: -1 } })
      .catch((err: TRPCError) => err);
    expect((e as TRPCError).code).toBe("BAD_REQUEST");
    expect((e as TRPCError).message).toMatch(/limits\.vcpus: Cannot be negative/);
  });
});

describe(`login on ${testDbKind()}`, () => {
  it("throttles repeated failures per (username, address), even with the right password afterwards; other addresses still sign in", async () => {
    for (let i = 0; i < 10; i++) expect((await authenticate(h.db, "tenant", "wrong-password", "10.1.0.1")).ok).toBe(false);
    expect(await authenticate(h.db, "tenant", "stratus-tenant", "10.1.0.1")).toEqual({ ok: false, reason: "throttled" });
    expect((await authenticate(h.db, "tenant", "stratus-tenant", "10.1.1.1")).ok).toBe(true);
  });

  it("records failed and successful logins as events", async () => {
    const rows = await h.db.select({ type: events.type }).from(events).where(eq(events.resourceId, t.callers.tenant.userId));
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(["USER.LOGIN", "USER.LOGIN.FAILED"]));
  });
});
