import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { alerts, events, instances, jobs, volumes } from "@/db/schema";
import { allLivePrefixes } from "@/lib/live";
import { appRouter } from "@/server/api/root";
import { handleChangeStream } from "@/server/api/stream";
import { endSession } from "@/server/auth/session";
import { ownedBy } from "@/server/authz/caller";
import { eventScope, instanceScope, jobScope, volumeScope } from "@/server/authz/scopes";
import { publishChange } from "@/server/core/changes";
import { recordEvent } from "@/server/core/events";
import { transitionVm } from "@/server/core/vm-transition";
import { recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { alertScope } from "@/server/services/alerts";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { liveStreams } from "@/test/live-stream";

/**
 * The live change feed through its real parts: pg_notify in the transaction of a change, the
 * process's one LISTEN, the /api/stream handler (signed in by a real session cookie) and each
 * stream's visibility filter, which must agree with the SQL scopes for every caller.
 */
const SECRET = "live-test-secret-0123456789abcdef";
process.env.NEXTAUTH_SECRET = SECRET;

let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
const streams = liveStreams(() => h, SECRET);
const connect = streams.connect;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
});
afterAll(async () => {
  await streams.cancelAll();
  await workers.stop();
  await h.close();
});

describe(`live change feed (${testDbKind()})`, () => {
  it("the in-memory visibility rule agrees with the SQL scope of every table, for every kind of caller", async () => {
    const choices = await deployChoicesByName(h.db);
    for (const [c, name] of [
      [t.callers.tenant, "scope-a"],
      [t.callers.tenant2, "scope-b"],
      [t.callers.globex, "scope-c"],
    ] as const) {
      const [vm] = await api(h.db, c).instance.deploy({ ...choices, name, count: 1 });
      await waitForJob(h.db, vm!.jobId);
    }
    // Rows of no account (infrastructure) too: an event, and alerts of each audience.
    await recordEvent(h.db, { type: "HOST.TEST", description: "infrastructure only" });
    await recordCompletedJob(h.db, { type: "test.system", resourceType: "system", resourceId: randomUUID() });
    const [acmeVm] = await h.db.select().from(instances).where(eq(instances.name, "scope-a"));
    await h.db.insert(alerts).values([
      {
        rule: "host.unreachable",
        subjectType: "host",
        subjectKey: "h1",
        subjectName: "h1",
        severity: "critical",
        title: "x",
        description: "x",
      },
      {
        rule: "vm.host_failure",
        subjectType: "account",
        subjectKey: "h1:a",
        subjectName: "scope-a",
        severity: "critical",
        title: "x",
        description: "x",
        accountId: acmeVm!.accountId,
        domainPath: acmeVm!.domainPath,
      },
    ]);
    const tables = [
      { name: "instances", table: instances, scope: instanceScope },
      { name: "volumes", table: volumes, scope: volumeScope },
      { name: "jobs", table: jobs, scope: jobScope },
      { name: "events", table: events, scope: eventScope },
      { name: "alerts", table: alerts, scope: alertScope },
    ] as const;
    for (const { name, table, scope } of tables) {
      const all = await h.db.select({ id: table.id, accountId: table.accountId, domainPath: table.domainPath }).from(table);
      // Every kind of row is present: some with an account, some without (infrastructure).
      expect(all.some((r) => r.accountId === null) || name === "instances" || name === "volumes").toBe(true);
      for (const c of Object.values(t.callers)) {
        const bySql = (await h.db.select({ id: table.id }).from(table).where(scope(c))).map((r) => r.id).sort();
        const byRule = all
          .filter((r) => ownedBy(c, r))
          .map((r) => r.id)
          .sort();
        expect(byRule, `${name} for ${c.username}`).toEqual(bySql);
      }
    }
    // Not vacuous: each tenant sees some rows and not all.
    const tenantSees = (await h.db.select({ id: instances.id }).from(instances).where(instanceScope(t.callers.tenant))).length;
    expect(tenantSees).toBeGreaterThan(0);
    expect(tenantSees).toBeLessThan((await h.db.select({ id: instances.id }).from(instances)).length);
  });

  it("a change to one tenant's VM reaches that tenant's stream and its admins', and no other tenant's", async () => {
    const [vm] = await h.db.select().from(instances).where(eq(instances.name, "scope-a"));
    const streams = {
      tenant: (await connect(t.callers.tenant)).stream,
      reseller: (await connect(t.callers.reseller)).stream,
      admin: (await connect(t.callers.admin)).stream,
      tenant2: (await connect(t.callers.tenant2)).stream,
      reseller2: (await connect(t.callers.reseller2)).stream,
      globex: (await connect(t.callers.globex)).stream,
    };
    const { jobId } = await api(h.db, t.callers.tenant).instance.stop({ id: vm!.id });
    await waitForJob(h.db, jobId);
    for (const who of ["tenant", "reseller", "admin"] as const) {
      await waitFor(`${who} hears of the VM`, () => streams[who].has("instance", vm!.id) && streams[who].has("job", jobId));
    }
    // A job's message names its resource type (the browser re-reads only the lists it concerns).
    expect(streams.tenant.messages().find((m) => m.id === jobId)).toEqual({ kind: "job", id: jobId, resourceType: "instance" });
    // Changes arrive in commit order: once each other stream heard of a later change of its own, it would have heard this one.
    const [initech] = await h.db.select().from(instances).where(eq(instances.name, "scope-b"));
    const [globex] = await h.db.select().from(instances).where(eq(instances.name, "scope-c"));
    await publishChange(h.db, { kind: "event", id: "barrier-b", accountId: initech!.accountId, domainPath: initech!.domainPath });
    await publishChange(h.db, { kind: "event", id: "barrier-c", accountId: globex!.accountId, domainPath: globex!.domainPath });
    await waitFor("barriers", () => streams.tenant2.has("event", "barrier-b") && streams.reseller2.has("event", "barrier-b"));
    await waitFor("barrier c", () => streams.globex.has("event", "barrier-c"));
    for (const who of ["tenant2", "reseller2", "globex"] as const) {
      expect(streams[who].text, who).not.toContain(vm!.id);
      expect(streams[who].text, who).not.toContain(jobId);
    }
    expect(streams.tenant.has("event", "barrier-b")).toBe(false);
    expect(streams.reseller.has("event", "barrier-b")).toBe(false);
    await waitFor("admin hears both", () => streams.admin.has("event", "barrier-b") && streams.admin.has("event", "barrier-c"));
    // The payload names the change only: no owner or path reaches the browser.
    expect(streams.tenant.text).not.toContain(vm!.domainPath);
  });

  it("an infrastructure event reaches the root admin with its resource type, and no tenant or reseller", async () => {
    const admin = (await connect(t.callers.admin)).stream;
    const tenant = (await connect(t.callers.tenant)).stream;
    const reseller = (await connect(t.callers.reseller)).stream;
    const hostId = randomUUID();
    await recordEvent(h.db, { type: "HOST.DOWN", description: "h1 is down", resourceType: "host", resourceId: hostId });
    await waitFor("the admin hears of it", () => admin.messages().some((m) => m.kind === "event" && m.resourceType === "host"));
    const [row] = await h.db.select().from(events).where(eq(events.resourceId, hostId));
    expect(admin.messages().find((m) => m.id === row!.id)).toEqual({ kind: "event", id: row!.id, resourceType: "host" });
    const [vm] = await h.db.select().from(instances).where(eq(instances.name, "scope-a"));
    await publishChange(h.db, { kind: "event", id: "after-host", accountId: vm!.accountId, domainPath: vm!.domainPath });
    await waitFor("a later change of their own", () => tenant.has("event", "after-host") && reseller.has("event", "after-host"));
    expect(tenant.text).not.toContain(row!.id);
    expect(reseller.text).not.toContain(row!.id);
  });

  it("every list a change may re-read is a router of the API", () => {
    const routers = Object.keys(appRouter._def.record);
    for (const prefix of allLivePrefixes) expect(routers, prefix).toContain(prefix);
  });

  it("a change rolled back is never announced", async () => {
    const s = (await connect(t.callers.tenant)).stream;
    const [vm] = await h.db.select().from(instances).where(eq(instances.name, "scope-a"));
    await h.db
      .transaction(async (tx) => {
        await transitionVm(tx, vm!.id, { from: vm!.state, to: "starting" });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await publishChange(h.db, { kind: "event", id: "after-rollback", accountId: vm!.accountId, domainPath: vm!.domainPath });
    await waitFor("the later change", () => s.has("event", "after-rollback"));
    expect(s.has("instance", vm!.id)).toBe(false);
  });

  it("refuses a request without a session, and ends the stream when its session ends", async () => {
    const res = await handleChangeStream(new Request("http://stratus.test/api/stream"), h);
    expect(res.status).toBe(401);
    const { login, stream } = await connect(t.callers.tenant, { recheckMs: 50, heartbeatMs: 50 });
    await waitFor("a heartbeat", () => stream.text.includes(": ping"));
    expect(stream.done).toBe(false);
    await endSession(h.db, login.sid, "signed_out");
    await waitFor("the stream to end", () => stream.done);
    expect(stream.text).toContain("event: end");
  });
});
