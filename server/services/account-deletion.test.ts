import { TRPCError } from "@trpc/server";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import fs from "node:fs";
import path from "node:path";
import {
  accounts,
  domains,
  events,
  instances,
  jobs,
  resourceCounters,
  simulatorSnapshots,
  simulatorVms,
  snapshotPolicies,
  snapshots,
  templates,
  usageEvents,
  users,
  volumes,
} from "@/db/schema";
import { authenticate } from "@/server/auth/login";
import { resolveCaller } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import { registerOrchestrator } from "@/server/orchestrator";
import { serviceJobs } from "./background";
import { claimJob } from "@/server/orchestrator/jobs/queue";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { openTestDb, testDbKind } from "@/test/db";
import { api, callerFor, seedTenancy } from "@/test/fixtures";
import { destroyInstance } from "@/server/services/instances/operations";
import {
  capacityViolations,
  clearFaults,
  deployChoicesByName,
  injectFault,
  setSimLatency,
  testWorkers,
  waitFor,
  waitForJob,
} from "@/test/orchestrator";
import { killAllWorkers, spawnWorker } from "@/test/processes";

/**
 * Deleting an account is CloudStack's cleanup: the account is `removing` at once (no sign-in,
 * nothing new), a durable account.cleanup job destroys and expunges every VM through the ordinary
 * VM jobs, gives back every counter (account and every ancestor domain), removes the users and
 * marks the account removed. Its domain is then empty and can be deleted.
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  registerOrchestrator(h, serviceJobs);
});
afterAll(async () => {
  await killAllWorkers();
  await h.close();
});

async function codeOf(p: Promise<unknown>) {
  const e = await p.then(() => null).catch((err: unknown) => err);
  return e instanceof TRPCError ? e.code : e instanceof Error ? String(e) : e ? JSON.stringify(e) : "OK";
}

type Use = Record<string, number>;
async function use(owner: { accountId: string } | { domainId: string }): Promise<Use> {
  const rows = await h.db
    .select()
    .from(resourceCounters)
    .where("accountId" in owner ? eq(resourceCounters.accountId, owner.accountId) : eq(resourceCounters.domainId, owner.domainId));
  return Object.fromEntries(rows.map((r) => [r.resourceType, r.used]));
}
const minus = (a: Use, b: Use) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
const zero = (u: Use) => Object.fromEntries(Object.keys(u).map((k) => [k, 0]));

/** A sub-domain of Acme Cloud with one tenant account (created by the reseller) and that account's signed-in user. */
async function tenantInNewDomain(name: string) {
  const reseller = api(h.db, t.callers.reseller);
  const domain = await reseller.domain.create({ parentId: t.domains.acme.id, name: `${name} Co` });
  const { account } = await reseller.account.create({
    domainId: domain.id,
    name,
    type: "user",
    username: `${name}-user`,
    password: `password-${name}`,
  });
  return { domain, account, user: await callerFor(h.db, `${name}-user`) };
}

async function deploy(caller: Caller, name: string) {
  const [d] = await api(h.db, caller).instance.deploy({ ...(await deployChoicesByName(h.db)), name });
  const job = await waitForJob(h.db, d!.jobId);
  expect(job.status, job.error ?? "").toBe("succeeded");
  return d!.id;
}
const usageSequenceOf = async (id: string) =>
  (await h.db.select({ type: usageEvents.type }).from(usageEvents).where(eq(usageEvents.resourceId, id)).orderBy(usageEvents.seq)).map(
    (r) => r.type,
  );
const vmRows = (accountId: string) => h.db.select().from(instances).where(eq(instances.accountId, accountId));
async function simulatorLeftovers(accountId: string) {
  const names = (await vmRows(accountId)).map(vmInternalName);
  return names.length ? h.db.select().from(simulatorVms).where(inArray(simulatorVms.name, names)) : [];
}

describe(`account deletion (${testDbKind()})`, () => {
  it("an account with running, stopped, destroyed and expunged VMs is cleaned up: zero use everywhere, no users, account removed, domain deletable", async () => {
    let workers = testWorkers(h, "del-1");
    const { domain, account, user } = await tenantInNewDomain("doomed");
    const tenant = api(h.db, user);
    const running = await deploy(user, "running");
    const stopped = await deploy(user, "stopped");
    const destroyed = await deploy(user, "destroyed");
    const expunged = await deploy(user, "expunged");
    await waitForJob(h.db, (await tenant.instance.stop({ id: stopped })).jobId);
    await waitForJob(h.db, (await tenant.instance.destroy({ id: destroyed })).jobId);
    await waitForJob(h.db, (await tenant.instance.destroy({ id: expunged })).jobId);
    await waitForJob(h.db, (await tenant.instance.expunge({ id: expunged })).jobId);
    expect(Object.fromEntries((await vmRows(account.id)).map((v) => [v.name, v.state]))).toEqual({
      running: "running",
      stopped: "stopped",
      destroyed: "destroyed",
      expunged: "expunged",
    });
    const accountUse = await use({ accountId: account.id });
    expect(accountUse.instances).toBe(2);
    const [acmeBefore, rootBefore] = [await use({ domainId: t.domains.acme.id }), await use({ domainId: t.domains.root.id })];
    const login = await authenticate(h.db, "doomed-user", "password-doomed", "10.9.0.1");
    expect(login.ok).toBe(true);

    // The confirmation says what goes.
    const reseller = api(h.db, t.callers.reseller);
    expect(await reseller.account.deletionPreview({ id: account.id })).toEqual({
      id: account.id,
      name: "doomed",
      instances: 3,
      running: 1,
      users: 1,
    });

    // Workers stopped: what holds from the moment the deletion is asked, before the job runs.
    await workers.stop();
    const { jobId } = await reseller.account.delete({ id: account.id });
    expect((await reseller.account.get({ id: account.id })).state).toBe("removing");
    expect((await reseller.account.get({ id: account.id })).cleanup).toMatchObject({ id: jobId, status: "queued" });
    // Asking again follows the same job.
    expect((await reseller.account.delete({ id: account.id })).jobId).toBe(jobId);
    // Its users are signed out and cannot sign in; nothing new is created in it.
    expect(await resolveCaller(h.db, user.userId, login.ok ? login.sessionVersion : -1)).toBeNull();
    expect(await authenticate(h.db, "doomed-user", "password-doomed", "10.9.0.1")).toEqual({ ok: false, reason: "disabled" });
    expect(await codeOf(tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "sneaky" }))).toBe("PRECONDITION_FAILED");
    expect(await codeOf(reseller.user.create({ accountId: account.id, username: "late-user", password: "password-late" }))).toBe(
      "CONFLICT",
    );
    expect(await codeOf(reseller.account.setState({ id: account.id, state: "enabled" }))).toBe("CONFLICT");
    // Its domain is not empty while the account is being deleted.
    expect(await codeOf(reseller.domain.delete({ id: domain.id }))).toBe("BAD_REQUEST");

    workers = testWorkers(h, "del-1b");
    const job = await waitForJob(h.db, jobId, 30_000);
    await workers.stop();
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(job.progress).toBe(100);

    // Every VM went through destroy and expunge: nothing left on the hypervisor, capacity given back.
    expect((await vmRows(account.id)).map((v) => v.state)).toEqual(["expunged", "expunged", "expunged", "expunged"]);
    expect(await simulatorLeftovers(account.id)).toEqual([]);
    expect(await capacityViolations(h.db)).toEqual([]);
    for (const id of [running, stopped, destroyed]) {
      const facts = await h.db.select({ type: usageEvents.type }).from(usageEvents).where(eq(usageEvents.resourceId, id));
      expect(facts.map((f) => f.type)).toContain("VM.EXPUNGE");
    }
    // Zero use at the account and every ancestor; the ancestors lost exactly the account's use.
    expect(await use({ accountId: account.id })).toEqual(zero(accountUse));
    expect(await use({ domainId: domain.id })).toEqual(zero(accountUse));
    expect(await use({ domainId: t.domains.acme.id })).toEqual(minus(acmeBefore, accountUse));
    expect(await use({ domainId: t.domains.root.id })).toEqual(minus(rootBefore, accountUse));
    // No users; the account is removed (kept for the history that names it) and gone from every view.
    expect(await h.db.select().from(users).where(eq(users.accountId, account.id))).toEqual([]);
    const [row] = await h.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row!.state).toBe("removed");
    expect(row!.removedAt).not.toBeNull();
    expect(await codeOf(reseller.account.get({ id: account.id }))).toBe("NOT_FOUND");
    expect((await reseller.account.list({ domainId: domain.id })).items).toEqual([]);
    // Billing and audit survive.
    expect((await h.db.select().from(usageEvents).where(eq(usageEvents.accountId, account.id))).length).toBeGreaterThan(0);
    const types = (await h.db.select({ type: events.type }).from(events).where(eq(events.accountId, account.id))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["ACCOUNT.DELETE", "ACCOUNT.DELETE.COMPLETE", "VM.EXPUNGED"]));

    // The domain is empty now: deletable, and its name is free again.
    await reseller.domain.delete({ id: domain.id });
    expect(await codeOf(reseller.domain.get({ id: domain.id }))).toBe("NOT_FOUND");
    expect((await reseller.domain.tree()).map((d) => d.id)).not.toContain(domain.id);
    const again = await reseller.domain.create({ parentId: t.domains.acme.id, name: "doomed Co" });
    expect(again.id).not.toBe(domain.id);
    const [removedDomain] = await h.db.select().from(domains).where(eq(domains.id, domain.id));
    expect(removedDomain!.removedAt).not.toBeNull();
  });

  it("a removed account's name and its users' names are free for a new account", async () => {
    const admin = api(h.db, t.callers.admin);
    const workers = testWorkers(h, "del-2");
    try {
      const first = await admin.account.create({
        domainId: t.domains.globex.id,
        name: "phoenix",
        type: "user",
        username: "phoenix",
        password: "password-phoenix",
      });
      const { jobId } = await admin.account.delete({ id: first.account.id });
      expect((await waitForJob(h.db, jobId)).status).toBe("succeeded");
      const second = await admin.account.create({
        domainId: t.domains.globex.id,
        name: "phoenix",
        type: "user",
        username: "phoenix",
        password: "password-phoenix",
      });
      expect(second.account.id).not.toBe(first.account.id);
      expect((await admin.account.get({ id: second.account.id })).state).toBe("enabled");
      // A domain with a removed account (and no other) is empty.
      const sub = await admin.domain.create({ parentId: t.domains.globex.id, name: "Ashes" });
      const inSub = await admin.account.create({ domainId: sub.id, name: "ash", type: "user", username: "ash", password: "password-ash" });
      expect((await waitForJob(h.db, (await admin.account.delete({ id: inSub.account.id })).jobId)).status).toBe("succeeded");
      await admin.domain.delete({ id: sub.id });
      // A removed domain takes no new accounts.
      expect(
        await codeOf(admin.account.create({ domainId: sub.id, name: "late", type: "user", username: "late", password: "password-late" })),
      ).toBe("NOT_FOUND");
    } finally {
      await workers.stop();
    }
  });

  it("removes the account's snapshots (files and limits), policies and template files", async () => {
    const workers = testWorkers(h, "del-snap");
    try {
      const { account, user } = await tenantInNewDomain("snappy");
      const tenant = api(h.db, user);
      const vmId = await deploy(user, "snappy-vm");
      const [root] = await h.db.select().from(volumes).where(eq(volumes.instanceId, vmId));
      const snap = await tenant.snapshot.take({ volumeId: root!.id, name: "snappy-snap" });
      expect((await waitForJob(h.db, snap.jobId)).status).toBe("succeeded");
      const snap2 = await tenant.snapshot.take({ volumeId: root!.id, name: "snappy-snap-2" });
      expect((await waitForJob(h.db, snap2.jobId)).status).toBe("succeeded");
      await tenant.snapshot.createPolicy({ volumeId: root!.id, frequency: "daily", minute: 0, hour: 1, timeZone: "UTC", retention: 2 });
      const tpl = await tenant.snapshot.createTemplate({ snapshotId: snap.id, name: "snappy-template", osType: "Linux" });
      expect((await waitForJob(h.db, tpl.jobId)).status).toBe("succeeded");
      // The simulator stores no bytes: put a file where the template's image lies, as libvirt would.
      const [t1] = await h.db.select().from(templates).where(eq(templates.id, tpl.id));
      fs.mkdirSync(path.dirname(t1!.path), { recursive: true });
      fs.writeFileSync(t1!.path, "image");
      const { jobId } = await api(h.db, t.callers.reseller).account.delete({ id: account.id });
      const job = await waitForJob(h.db, jobId, 30_000);
      expect(job.status, job.error ?? "").toBe("succeeded");
      expect((await h.db.select().from(snapshots).where(eq(snapshots.accountId, account.id))).map((s) => s.state)).toEqual([
        "destroyed",
        "destroyed",
      ]);
      expect(
        await h.db
          .select()
          .from(simulatorSnapshots)
          .where(inArray(simulatorSnapshots.id, [snap.id, snap2.id])),
      ).toEqual([]);
      expect(await usageSequenceOf(snap.id)).toEqual(["SNAPSHOT.CREATE", "SNAPSHOT.DELETE"]);
      expect(await h.db.select().from(snapshotPolicies).where(eq(snapshotPolicies.volumeId, root!.id))).toEqual([]);
      // Removed just after the job's final commit.
      await waitFor("the template's file to go", () => !fs.existsSync(t1!.path));
      const left = await use({ accountId: account.id });
      expect(left).toEqual(zero(left));
    } finally {
      await workers.stop();
    }
  });

  it("only an administrator in scope deletes an account: another reseller gets NOT_FOUND, a tenant FORBIDDEN, nobody their own", async () => {
    const victim = t.tenantAccount.id;
    expect(await codeOf(api(h.db, t.callers.reseller2).account.delete({ id: victim }))).toBe("NOT_FOUND");
    expect(await codeOf(api(h.db, t.callers.reseller2).account.deletionPreview({ id: victim }))).toBe("NOT_FOUND");
    expect(await codeOf(api(h.db, t.callers.tenant2).account.delete({ id: victim }))).toBe("FORBIDDEN");
    expect(await codeOf(api(h.db, t.callers.reseller).account.delete({ id: t.callers.reseller.accountId }))).toBe("BAD_REQUEST");
    const [a] = await h.db.select().from(accounts).where(eq(accounts.id, victim));
    expect(a!.state).toBe("enabled");
    expect(
      await h.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.resourceId, victim), eq(jobs.type, "account.cleanup"))),
    ).toEqual([]);
  });

  it("a VM left in Error by a failed expunge is expunged again without giving its limits back twice", async () => {
    const workers = testWorkers(h, "del-2b");
    try {
      const { account, user } = await tenantInNewDomain("twice");
      const tenant = api(h.db, user);
      const vm = await deploy(user, "twice");
      await waitForJob(h.db, (await tenant.instance.destroy({ id: vm })).jobId);
      const afterDestroy = { account: await use({ accountId: account.id }), acme: await use({ domainId: t.domains.acme.id }) };
      expect(afterDestroy.account.instances).toBe(0);
      await injectFault(h.db, { operation: "destroy", message: "disk busy", remaining: 1 });
      expect((await waitForJob(h.db, (await tenant.instance.expunge({ id: vm })).jobId)).status).toBe("failed");
      expect((await h.db.select().from(instances).where(eq(instances.id, vm)))[0]!.state).toBe("error");
      expect((await waitForJob(h.db, (await tenant.instance.expunge({ id: vm })).jobId)).status).toBe("succeeded");
      expect(await use({ accountId: account.id })).toEqual(afterDestroy.account);
      expect(await use({ domainId: t.domains.acme.id })).toEqual(afterDestroy.acme);
    } finally {
      await clearFaults(h.db);
      await workers.stop();
    }
  });

  it("a VM that cannot be expunged stops the cleanup with its name and reason; deleting again finishes it", async () => {
    const workers = testWorkers(h, "del-3");
    const { account, user } = await tenantInNewDomain("stubborn");
    const vm = await deploy(user, "stuck");
    await injectFault(h.db, { operation: "destroy", message: "disk busy" });
    const admin = api(h.db, t.callers.admin);
    const first = await admin.account.delete({ id: account.id });
    const failed = await waitForJob(h.db, first.jobId, 30_000);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/Could not expunge instance stuck: disk busy/);
    const detail = await admin.account.get({ id: account.id });
    expect(detail.state).toBe("removing");
    expect(detail.cleanup).toMatchObject({ id: first.jobId, status: "failed" });
    const [ev] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, account.id), eq(events.type, "ACCOUNT.DELETE.FAILED")));
    expect(ev!.description).toMatch(/stuck/);

    await clearFaults(h.db);
    const second = await admin.account.delete({ id: account.id });
    expect(second.jobId).not.toBe(first.jobId);
    const done = await waitForJob(h.db, second.jobId, 30_000);
    await workers.stop();
    expect(done.status, done.error ?? "").toBe("succeeded");
    const [row] = await h.db.select().from(instances).where(eq(instances.id, vm));
    expect(row!.state).toBe("expunged");
    expect(Object.values(await use({ accountId: account.id })).every((n) => n === 0)).toBe(true);
    expect(await simulatorLeftovers(account.id)).toEqual([]);
  });

  it("use its VMs never accounted for (drift) is given back too, at the account and its ancestors", async () => {
    const workers = testWorkers(h, "del-4");
    try {
      const { domain, account } = await tenantInNewDomain("drifty");
      await h.db
        .update(resourceCounters)
        .set({ used: 3 })
        .where(and(eq(resourceCounters.accountId, account.id), eq(resourceCounters.resourceType, "volumes")));
      await h.db
        .update(resourceCounters)
        .set({ used: 3 })
        .where(and(eq(resourceCounters.domainId, domain.id), eq(resourceCounters.resourceType, "volumes")));
      const acme = (await use({ domainId: t.domains.acme.id })).volumes!;
      await h.db
        .update(resourceCounters)
        .set({ used: acme + 3 })
        .where(and(eq(resourceCounters.domainId, t.domains.acme.id), eq(resourceCounters.resourceType, "volumes")));
      const root = (await use({ domainId: t.domains.root.id })).volumes!;
      await h.db
        .update(resourceCounters)
        .set({ used: root + 3 })
        .where(and(eq(resourceCounters.domainId, t.domains.root.id), eq(resourceCounters.resourceType, "volumes")));
      const { jobId } = await api(h.db, t.callers.admin).account.delete({ id: account.id });
      expect((await waitForJob(h.db, jobId)).status).toBe("succeeded");
      expect((await use({ accountId: account.id })).volumes).toBe(0);
      expect((await use({ domainId: domain.id })).volumes).toBe(0);
      expect((await use({ domainId: t.domains.acme.id })).volumes).toBe(acme);
      expect((await use({ domainId: t.domains.root.id })).volumes).toBe(root);
      const [ev] = await h.db
        .select()
        .from(events)
        .where(and(eq(events.resourceId, account.id), eq(events.type, "ACCOUNT.DELETE.COMPLETE")));
      expect(ev!.level).toBe("warn");
      expect(ev!.description).toMatch(/3 volumes/);
    } finally {
      await workers.stop();
    }
  });

  if (testDbKind() === "postgres") {
    it("real processes: the worker running a cleanup dies (SIGKILL) mid-way; another resumes it to the end", async () => {
      const { account, user } = await tenantInNewDomain("crashy");
      const workers = testWorkers(h, "del-5");
      await deploy(user, "c1");
      await deploy(user, "c2");
      await deploy(user, "c3");
      await workers.stop();
      await setSimLatency(h.db, { stop: 3000 });
      const a = await spawnWorker(h.url!, "cleanup-a", { STRATUS_LEASE_MS: "2000" });
      const { jobId } = await api(h.db, t.callers.admin).account.delete({ id: account.id });
      // A started the cleanup and is inside the VMs' 3 s stop calls: kill it there.
      await waitFor("A stopping the VMs", async () => {
        const rows = await h.db
          .select()
          .from(jobs)
          .where(and(eq(jobs.accountId, account.id), eq(jobs.type, "vm.destroy"), eq(jobs.lockedBy, "cleanup-a")));
        return rows.length > 0;
      });
      await a.kill("SIGKILL");
      expect((await h.db.select().from(jobs).where(eq(jobs.id, jobId)))[0]!.status).not.toBe("succeeded");
      await setSimLatency(h.db, {});
      const b = await spawnWorker(h.url!, "cleanup-b", { STRATUS_LEASE_MS: "2000" });
      const job = await waitForJob(h.db, jobId, 60_000);
      expect(job.status, `${job.error}\n${b.output()}`).toBe("succeeded");
      expect((await vmRows(account.id)).every((v) => v.state === "expunged")).toBe(true);
      expect(await simulatorLeftovers(account.id)).toEqual([]);
      expect(Object.values(await use({ accountId: account.id })).every((n) => n === 0)).toBe(true);
      expect(await capacityViolations(h.db)).toEqual([]);
      expect((await h.db.select().from(accounts).where(eq(accounts.id, account.id)))[0]!.state).toBe("removed");
      await b.kill("SIGTERM");
    }, 120_000);
  } else {
    it("in-process: a cleanup claimed and abandoned mid-way (its VMs half destroyed) is resumed by another owner once its lease expires", async () => {
      const { account, user } = await tenantInNewDomain("crashy");
      let workers = testWorkers(h, "del-5");
      const v1 = await deploy(user, "c1");
      await deploy(user, "c2");
      await workers.stop();
      const admin = api(h.db, t.callers.admin);
      const { jobId } = await admin.account.delete({ id: account.id });
      // The "dead" owner claims the cleanup, destroys the first VM (as the job does), then vanishes.
      expect((await claimJob(h.db, "dead-owner", 300))?.id).toBe(jobId);
      const [row] = await h.db.select().from(instances).where(eq(instances.id, v1));
      await destroyInstance(h.db, null, v1, row, t.callers.admin.userId);
      await new Promise((r) => setTimeout(r, 400));
      workers = testWorkers(h, "survivor");
      const job = await waitForJob(h.db, jobId, 30_000);
      await workers.stop();
      expect(job.status, job.error ?? "").toBe("succeeded");
      expect(job.lockedBy).toBe("survivor");
      expect((await vmRows(account.id)).every((v) => v.state === "expunged")).toBe(true);
      expect(await simulatorLeftovers(account.id)).toEqual([]);
      expect(Object.values(await use({ accountId: account.id })).every((n) => n === 0)).toBe(true);
      expect(await capacityViolations(h.db)).toEqual([]);
      // One destroy per VM: the resumed cleanup did not destroy c1 a second time.
      const destroys = await h.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.resourceId, v1), eq(jobs.type, "vm.destroy")));
      expect(destroys).toHaveLength(1);
    });
  }
});
