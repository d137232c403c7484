import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, domains, templateShares, users } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { createAccount, getAccountInScope, listAccounts } from "@/server/services/accounts";
import { createDomain, getDomainInScope, listDomainTree } from "@/server/services/domains";
import { listEvents } from "@/server/services/events";
import { getInstanceInScope } from "@/server/services/instances/access";
import { deployInstances } from "@/server/services/instances/operations";
import { listInstances } from "@/server/services/instances/queries";
import { getJobInScope } from "@/server/services/jobs";
import { getImage, listImages } from "@/server/services/templates";
import { getUserInScope, listUsers } from "@/server/services/users";
import { openTestDb, testDbKind } from "@/test/db";
import { callerFor, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { ownedTemplate } from "@/test/templates";

/**
 * Get-by-id and lists share one scope condition per table (server/authz/scopes.ts). The caller
 * here is a reseller deep in the tree: ROOT / Acme Cloud / Team A / Squad, with a tenant in
 * Squad / Pod. Its own subtree is found; its parent, its sibling and another reseller's objects
 * are NOT_FOUND, and never in its lists.
 */
let h: DbHandle;
let squadReseller: Caller;
const ids = {} as Record<
  | "squad"
  | "pod"
  | "sibling"
  | "teamA"
  | "initech"
  | "podAccount"
  | "acmeAccount"
  | "podUser"
  | "acmeUser"
  | "podVm"
  | "acmeVm"
  | "podJob"
  | "acmeJob",
  string
>;

const userId = async (username: string) => (await h.db.select({ id: users.id }).from(users).where(eq(users.username, username)))[0]!.id;

beforeAll(async () => {
  h = await openTestDb();
  const t = await seedTenancy(h.db);
  const { admin, reseller, tenant } = t.callers;
  const squad = await createDomain(h.db, reseller, { parentId: t.domains.teamA.id, name: "Squad" });
  const sibling = await createDomain(h.db, reseller, { parentId: t.domains.teamA.id, name: "Other squad" });
  await createAccount(h.db, admin, {
    domainId: squad.id,
    name: "squad-admins",
    type: "domain_admin",
    username: "squad",
    password: "password-squad",
  });
  squadReseller = await callerFor(h.db, "squad");
  const pod = await createDomain(h.db, squadReseller, { parentId: squad.id, name: "Pod" });
  const { account } = await createAccount(h.db, squadReseller, {
    domainId: pod.id,
    name: "pod-dev",
    type: "user",
    username: "poduser",
    password: "password-poduser",
  });
  const choices = await deployChoicesByName(h.db);
  const [podVm] = await deployInstances(h.db, await callerFor(h.db, "poduser"), { ...choices, name: "pod-vm", count: 1 });
  const [acmeVm] = await deployInstances(h.db, tenant, { ...choices, name: "acme-vm", count: 1 });
  Object.assign(ids, {
    squad: squad.id,
    pod: pod.id,
    sibling: sibling.id,
    teamA: t.domains.teamA.id,
    initech: t.domains.initech.id,
    podAccount: account.id,
    acmeAccount: t.tenantAccount.id,
    podUser: await userId("poduser"),
    acmeUser: await userId("tenant"),
    podVm: podVm!.id,
    acmeVm: acmeVm!.id,
    podJob: podVm!.jobId,
    acmeJob: acmeVm!.jobId,
  });
});
afterAll(() => h.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (e: unknown) => (e && typeof e === "object" && "code" in e ? String(e.code) : String(e)),
  );
}

describe(`scope of get-by-id and lists, for a reseller of a sub-sub-domain, on ${testDbKind()}`, () => {
  it("domains: its own and those below are found; its parent, sibling and other subtrees are NOT_FOUND", async () => {
    const get = (id: string) => codeOf(getDomainInScope(h.db, squadReseller, id));
    expect([await get(ids.squad), await get(ids.pod)]).toEqual(["OK", "OK"]);
    expect([await get(ids.teamA), await get(ids.sibling), await get(ids.initech)]).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
    const tree = (await listDomainTree(h.db, squadReseller)).map((d) => d.id);
    expect(tree.sort()).toEqual([ids.squad, ids.pod].sort());
  });

  it("accounts: the tenant below is found, the parent domain's tenant is NOT_FOUND", async () => {
    expect((await getAccountInScope(h.db, squadReseller, ids.podAccount)).name).toBe("pod-dev");
    expect(await codeOf(getAccountInScope(h.db, squadReseller, ids.acmeAccount))).toBe("NOT_FOUND");
    const listed = (await listAccounts(h.db, squadReseller, { pageSize: 100 })).items.map((a) => a.id);
    expect(listed).toContain(ids.podAccount);
    expect(listed).not.toContain(ids.acmeAccount);
  });

  it("users: a user of the tenant below is found, the parent domain's user is NOT_FOUND", async () => {
    expect((await getUserInScope(h.db, squadReseller, ids.podUser)).username).toBe("poduser");
    expect(await codeOf(getUserInScope(h.db, squadReseller, ids.acmeUser))).toBe("NOT_FOUND");
    const listed = (await listUsers(h.db, squadReseller, { pageSize: 100 })).items.map((u) => u.id);
    expect(listed).toContain(ids.podUser);
    expect(listed).not.toContain(ids.acmeUser);
  });

  it("instances: a VM below is found, the parent domain's VM is NOT_FOUND", async () => {
    expect((await getInstanceInScope(h.db, squadReseller, ids.podVm)).name).toBe("pod-vm");
    expect(await codeOf(getInstanceInScope(h.db, squadReseller, ids.acmeVm))).toBe("NOT_FOUND");
    const listed = (await listInstances(h.db, squadReseller, { pageSize: 100 })).items.map((v) => v.id);
    expect(listed).toEqual([ids.podVm]);
  });

  it("jobs: a job below is found, the parent domain's job is NOT_FOUND", async () => {
    expect((await getJobInScope(h.db, squadReseller, ids.podJob)).id).toBe(ids.podJob);
    expect(await codeOf(getJobInScope(h.db, squadReseller, ids.acmeJob))).toBe("NOT_FOUND");
  });

  it("events: the list holds the tenant below's and none of the parent domain's", async () => {
    const accountIds = (await listEvents(h.db, squadReseller, { pageSize: 100 })).items.map((e) => e.accountId);
    expect(accountIds).toContain(ids.podAccount);
    expect(accountIds).not.toContain(ids.acmeAccount);
  });

  it("templates: the tenant below's and those shared into its subtree are found; the parent domain's private one is NOT_FOUND", async () => {
    const tpl = async (name: string, owner: { accountId: string; domainId: string }, shareWith?: string) => {
      const row = await ownedTemplate(h.db, name, owner);
      if (shareWith) {
        const [sd] = await h.db.select({ path: domains.path }).from(domains).where(eq(domains.id, shareWith));
        await h.db.insert(templateShares).values({ templateId: row.id, domainId: shareWith, domainPath: sd!.path });
      }
      return row.id;
    };
    const [acme] = await h.db.select({ domainId: accounts.domainId }).from(accounts).where(eq(accounts.id, ids.acmeAccount));
    const below = await tpl("pod-template", { accountId: ids.podAccount, domainId: ids.pod });
    const parents = await tpl("acme-template", { accountId: ids.acmeAccount, domainId: acme!.domainId });
    const sharedDown = await tpl("acme-shared-to-team-a", { accountId: ids.acmeAccount, domainId: acme!.domainId }, ids.teamA);
    const sharedSibling = await tpl("acme-shared-to-sibling", { accountId: ids.acmeAccount, domainId: acme!.domainId }, ids.sibling);
    const get = (id: string) => codeOf(getImage(h.db, squadReseller, id));
    expect([await get(below), await get(sharedDown)]).toEqual(["OK", "OK"]);
    expect([await get(parents), await get(sharedSibling)]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    const listed = (await listImages(h.db, squadReseller)).map((x) => x.id);
    expect(listed).toEqual(expect.arrayContaining([below, sharedDown]));
    expect(listed).not.toContain(parents);
    expect(listed).not.toContain(sharedSibling);
    // Shared into Team A: the tenant two levels further down sees it too; the sibling's does not.
    const podUser = await callerFor(h.db, "poduser");
    expect(await codeOf(getImage(h.db, podUser, sharedDown))).toBe("OK");
    expect(await codeOf(getImage(h.db, podUser, sharedSibling))).toBe("NOT_FOUND");
  });

  it("a tenant finds its own account and users, and no domain, not even its own", async () => {
    const tenant = await callerFor(h.db, "poduser");
    expect((await getAccountInScope(h.db, tenant, ids.podAccount)).id).toBe(ids.podAccount);
    expect((await getUserInScope(h.db, tenant, ids.podUser)).id).toBe(ids.podUser);
    expect(await codeOf(getUserInScope(h.db, tenant, ids.acmeUser))).toBe("NOT_FOUND");
    expect(await codeOf(getDomainInScope(h.db, tenant, ids.pod))).toBe("NOT_FOUND");
    expect(await listDomainTree(h.db, tenant)).toEqual([]);
  });
});
