import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { createAccount } from "@/server/services/accounts";
import { openTestDb, testDbKind } from "@/test/db";
import { api, callerFor, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { ownedTemplate } from "@/test/templates";

/**
 * Who sees a template: its account (and resellers above it), accounts and domain subtrees it is
 * shared with, everyone when public. One SQL condition (templateScope) for list, get and deploy.
 *   ROOT ─ Acme Cloud ─ acme-dev (tenant), Team A ─ team-a-dev (teamA)
 *        ─ Globex (globex) ─ Initech (reseller2, tenant2)
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let teamA: Caller;
let acmeOps: Caller;
let zoneId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  await createAccount(h.db, t.callers.reseller, {
    domainId: t.domains.teamA.id,
    name: "team-a-dev",
    type: "user",
    username: "teama",
    password: "password-teama",
  });
  await createAccount(h.db, t.callers.reseller, {
    domainId: t.domains.acme.id,
    name: "acme-ops",
    type: "user",
    username: "acmeops",
    password: "password-acmeops",
  });
  teamA = await callerFor(h.db, "teama");
  acmeOps = await callerFor(h.db, "acmeops");
  zoneId = (await deployChoicesByName(h.db)).zoneId;
});
afterAll(() => h.close());

/** A Ready template of the tenant's account (as a finished download would leave it). */
async function tenantTemplate(name: string, status: "ready" | "error" = "ready") {
  return ownedTemplate(h.db, name, { accountId: t.tenantAccount.id, domainId: t.domains.acme.id }, { zoneId, status });
}

const names = async (c: Caller) => (await api(h.db, c).template.listImages()).map((x) => x.name);
async function code(p: Promise<unknown>) {
  return p.then(
    () => "OK",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );
}

describe(`template visibility on ${testDbKind()}`, () => {
  it("a private template: its account and the resellers above it only", async () => {
    const tpl = await tenantTemplate("private-one");
    expect(await names(t.callers.tenant)).toContain("private-one");
    expect(await names(t.callers.reseller)).toContain("private-one");
    expect(await names(t.callers.admin)).toContain("private-one");
    for (const c of [teamA, acmeOps, t.callers.globex, t.callers.tenant2, t.callers.reseller2]) {
      expect(await names(c), c.username).not.toContain("private-one");
      expect(await code(api(h.db, c).template.get({ id: tpl.id })), c.username).toBe("NOT_FOUND");
    }
  });

  it("shared with a sub-domain: seen there and nowhere else, and deployable there", async () => {
    const tpl = await tenantTemplate("for-team-a");
    // A tenant cannot share with a domain; its reseller can, within its subtree.
    expect(await code(api(h.db, t.callers.tenant).template.share({ id: tpl.id, domainIds: [t.domains.teamA.id] }))).toBe("BAD_REQUEST");
    expect(await code(api(h.db, t.callers.reseller).template.share({ id: tpl.id, domainIds: [t.domains.globex.id] }))).toBe("NOT_FOUND");
    await api(h.db, t.callers.reseller).template.share({ id: tpl.id, domainIds: [t.domains.teamA.id] });
    expect(await names(teamA)).toContain("for-team-a");
    expect((await api(h.db, teamA).instance.deployChoices()).templates.map((x) => x.name)).toContain("for-team-a");
    for (const c of [acmeOps, t.callers.globex, t.callers.tenant2, t.callers.reseller2]) {
      expect(await names(c), c.username).not.toContain("for-team-a");
      expect(
        (await api(h.db, c).instance.deployChoices()).templates.map((x) => x.name),
        c.username,
      ).not.toContain("for-team-a");
    }
    // Team A may use it but not change or delete it.
    expect(await code(api(h.db, teamA).template.delete({ id: tpl.id }))).toBe("NOT_FOUND");
    expect(await code(api(h.db, teamA).template.share({ id: tpl.id, accountIds: [teamA.accountId] }))).toBe("NOT_FOUND");
    const sharing = await api(h.db, t.callers.tenant).template.sharing({ id: tpl.id });
    expect(sharing.domains.map((d) => d.name)).toEqual(["Team A"]);
  });

  it("shared with chosen accounts: a tenant shares with an account of its own domain, not beyond", async () => {
    const tpl = await tenantTemplate("for-acme-ops");
    expect(await code(api(h.db, t.callers.tenant).template.share({ id: tpl.id, accountIds: [t.callers.globex.accountId] }))).toBe(
      "NOT_FOUND",
    );
    await api(h.db, t.callers.tenant).template.share({ id: tpl.id, accountIds: [acmeOps.accountId] });
    expect(await names(acmeOps)).toContain("for-acme-ops");
    expect(await names(teamA)).not.toContain("for-acme-ops");
    // Unshared again: gone.
    await api(h.db, t.callers.tenant).template.share({ id: tpl.id, accountIds: [] });
    expect(await names(acmeOps)).not.toContain("for-acme-ops");
  });

  it("a shared template in Error is not offered to others", async () => {
    const tpl = await tenantTemplate("broken-shared", "error");
    await api(h.db, t.callers.tenant).template.share({ id: tpl.id, accountIds: [acmeOps.accountId] });
    expect(await names(t.callers.tenant)).toContain("broken-shared");
    expect(await names(acmeOps)).not.toContain("broken-shared");
  });

  it("public and featured: the root admin's to give; then everyone sees it, featured first", async () => {
    const tpl = await tenantTemplate("for-everyone");
    expect(await code(api(h.db, t.callers.tenant).template.share({ id: tpl.id, isPublic: true }))).toBe("FORBIDDEN");
    expect(await code(api(h.db, t.callers.reseller).template.share({ id: tpl.id, isFeatured: true }))).toBe("FORBIDDEN");
    await api(h.db, t.callers.admin).template.share({ id: tpl.id, isFeatured: true });
    for (const c of [teamA, t.callers.globex, t.callers.tenant2]) {
      const list = await api(h.db, c).template.listImages();
      expect(list[0]?.name, c.username).toBe("for-everyone");
      expect(list[0]?.isPublic).toBe(true);
      expect(list[0]?.mine).toBe(false);
    }
  });
});
