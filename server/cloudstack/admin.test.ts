import { createHash, randomUUID } from "node:crypto";
import { and, count, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accounts, apiKeys, computeOfferings, domains, hosts, networks, sessions, usageEvents, users } from "@/db/schema";
import { CLIENT_IP_HEADER } from "@/server/auth/client-ip";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";
import { aggregateUsage } from "@/server/usage/aggregate";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { handleCloudStackHttp, handleCloudStackRequest } from "./api";
import { signRequest, type Pair } from "./signature";

/**
 * The administration commands of the CloudStack API (server/cloudstack/commands/admin.ts) and its
 * session login (session.ts), end to end: signed requests and real HTTP exchanges (cookies) against
 * the simulator cloud, per role, on PGlite and on PostgreSQL.
 */
const cloud = simulatorCloud();
type Body = Record<string, unknown>;
const db = () => cloud.h.db;

/** A signed request with `key`. */
async function call(key: IssuedKey, params: Record<string, string>) {
  const pairs: Pair[] = [["apiKey", key.apiKey], ["response", "json"], ...Object.entries(params)];
  pairs.push(["signature", signRequest(pairs, key.secretKey)]);
  const r = await handleCloudStackRequest(db(), pairs);
  const json = JSON.parse(r.text) as Record<string, Body>;
  const [envelope] = Object.keys(json);
  return { status: r.status, envelope, body: json[envelope!]! };
}

/** An HTTP exchange with /client/api (form-encoded POST or GET), as a browser or cmk makes it. */
async function http(params: Record<string, string>, opts: { cookie?: string; ip?: string; method?: "GET" | "POST" } = {}) {
  const query = new URLSearchParams({ response: "json", ...params }).toString();
  const headers: Record<string, string> = { [CLIENT_IP_HEADER]: opts.ip ?? "198.51.100.7", "user-agent": "cmk-test" };
  if (opts.cookie) headers.cookie = opts.cookie;
  const get = opts.method === "GET";
  if (!get) headers["content-type"] = "application/x-www-form-urlencoded";
  const res = await handleCloudStackHttp(
    db(),
    new Request(`http://localhost/client/api${get ? `?${query}` : ""}`, {
      method: opts.method ?? "POST",
      headers,
      body: get ? undefined : query,
    }),
  );
  const json = (await res.json()) as Record<string, Body>;
  const [envelope] = Object.keys(json);
  return { status: res.status, envelope, body: json[envelope!]!, setCookie: res.headers.getSetCookie() };
}

async function waitJob(key: IssuedKey, jobid: string) {
  for (let i = 0; i < 400; i++) {
    const r = await call(key, { command: "queryAsyncJobResult", jobid });
    if (r.body.jobstatus !== 0) return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`job ${jobid} did not finish`);
}

const NOT_AVAILABLE = /does not exist or it is not available for the user/;
const keys = {} as Record<"admin" | "reseller" | "reseller2" | "tenant" | "tenant2", IssuedKey>;

beforeAll(async () => {
  for (const who of ["admin", "reseller", "reseller2", "tenant", "tenant2"] as const) {
    const c = cloud.t.callers[who];
    keys[who] = await issueApiKey(db(), c.userId, { name: "ci" }, c.userId);
  }
});

describe(`CloudStack administration commands (${testDbKind()})`, () => {
  it("login gives a session key and cookie that act as the user; logout ends the session", async () => {
    const login = await http({ command: "login", username: "tenant", password: "stratus-tenant", domain: "/Acme Cloud" });
    expect(login.status).toBe(200);
    expect(login.envelope).toBe("loginresponse");
    const key = login.body.sessionkey as string;
    expect(key.length).toBeGreaterThanOrEqual(40);
    expect(login.body).toMatchObject({
      username: "tenant",
      userid: cloud.t.callers.tenant.userId,
      account: "acme-dev",
      domainid: cloud.t.domains.acme.id,
      type: "0",
      firstname: "Tom",
    });
    expect(login.body.timeout).toBeGreaterThan(0);
    expect(login.setCookie).toHaveLength(1);
    expect(login.setCookie[0]).toMatch(/^JSESSIONID=[\w-]+; Path=\/client; HttpOnly/);
    const cookie = login.setCookie[0]!.split(";")[0]!;
    // Only the key's SHA-256 is stored, on the session row the cookie names.
    const [row] = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.id, cookie.split("=")[1]!));
    expect(row!.cloudstackKeyHash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(row!.userAgent).toBe("cmk-test");
    expect(JSON.stringify(row)).not.toContain(key);

    const vms = await http({ command: "listVirtualMachines", sessionkey: key }, { cookie, method: "GET" });
    expect(vms.status).toBe(200);
    const zones = await http({ command: "listZones", sessionkey: key }, { cookie });
    expect(zones.status).toBe(200);
    expect((zones.body.zone as Body[]).length).toBeGreaterThan(0);
    // The tenant's role, not more: an admin command is not available to it.
    expect((await http({ command: "listHosts", sessionkey: key }, { cookie })).status).toBe(432);
    // The key without its cookie, the cookie with another key, a portal session's id: refused.
    expect((await http({ command: "listZones", sessionkey: key })).status).toBe(401);
    expect((await http({ command: "listZones", sessionkey: `${key}x` }, { cookie })).status).toBe(401);
    const [portal] = await db()
      .insert(sessions)
      .values({ id: "portal-session-1", userId: cloud.t.callers.tenant.userId, sessionVersion: 0, ip: "x" })
      .returning();
    expect((await http({ command: "listZones", sessionkey: key }, { cookie: `JSESSIONID=${portal!.id}` })).status).toBe(401);

    const out = await http({ command: "logout", sessionkey: key }, { cookie });
    expect([out.status, out.body]).toEqual([200, { description: "success" }]);
    expect(out.setCookie[0]).toContain("Max-Age=0");
    const after = await http({ command: "listZones", sessionkey: key }, { cookie });
    expect([after.status, after.body.errorcode]).toEqual([401, 401]);
    const [ended] = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.id, cookie.split("=")[1]!));
    expect(ended!.endedAt).not.toBeNull();
  });

  it("refuses a wrong password, user or domain alike, wants POST, and applies the login throttle", async () => {
    const answers = [
      await http({ command: "login", username: "tenant", password: "wrong-password", domain: "/Acme Cloud" }, { ip: "203.0.113.1" }),
      await http({ command: "login", username: "nobody", password: "stratus-tenant", domain: "/Acme Cloud" }, { ip: "203.0.113.1" }),
      await http({ command: "login", username: "tenant", password: "stratus-tenant", domain: "/Globex" }, { ip: "203.0.113.1" }),
    ];
    for (const a of answers) {
      expect([a.status, a.body.errorcode]).toEqual([531, 531]);
      expect(a.body.errortext).toMatch(/please provide valid credentials/);
      expect(a.body.sessionkey).toBeUndefined();
      expect(a.setCookie).toEqual([]);
    }
    const missing = await http({ command: "login", username: "tenant" });
    expect(missing.status).toBe(431);
    expect(missing.body.errortext).toContain("password");
    const get = await http({ command: "login", username: "tenant", password: "stratus-tenant", domain: "/Acme Cloud" }, { method: "GET" });
    expect(get.status).toBe(431);
    expect(get.body.errortext).toContain("POST");

    process.env.STRATUS_LOGIN_MAX_PER_USER_ADDRESS = "2";
    try {
      const ip = "203.0.113.50";
      const login = (password: string, from = ip) =>
        http({ command: "login", username: "globex", password, domain: "ROOT/Globex" }, { ip: from });
      expect((await login("wrong-1")).status).toBe(531);
      expect((await login("wrong-2")).status).toBe(531);
      // Throttled: even the right password is not checked from this address now.
      expect((await login("stratus-globex")).status).toBe(429);
      const elsewhere = await login("stratus-globex", "203.0.113.51");
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body).toMatchObject({ username: "globex", domainid: cloud.t.domains.globex.id });
    } finally {
      delete process.env.STRATUS_LOGIN_MAX_PER_USER_ADDRESS;
    }
  });

  it("createDomain: the admin anywhere, a reseller only inside its subtree, a tenant not at all", async () => {
    const { root, acme, initech } = cloud.t.domains;
    const top = await call(keys.admin, { command: "createDomain", name: "Umbrella" });
    expect(top.status).toBe(200);
    expect(top.body.domain).toMatchObject({
      name: "Umbrella",
      parentdomainid: root.id,
      parentdomainname: "ROOT",
      level: 1,
      path: "ROOT/Umbrella",
    });
    const sub = await call(keys.reseller, { command: "createDomain", name: "Team B" });
    expect(sub.body.domain).toMatchObject({ name: "Team B", parentdomainid: acme.id, path: "ROOT/Acme Cloud/Team B", level: 2 });
    const [row] = await db()
      .select()
      .from(domains)
      .where(eq(domains.id, (sub.body.domain as Body).id as string));
    expect(row!.path.startsWith(acme.path)).toBe(true);

    // listDomains shows the same object, with the whole path however deep.
    const listed = await call(keys.reseller, { command: "listDomains", id: (sub.body.domain as Body).id as string });
    expect(listed.body.domain).toEqual([sub.body.domain]);

    const foreign = await call(keys.reseller, { command: "createDomain", name: "intruder", parentdomainid: initech.id });
    expect(foreign.status).toBe(431);
    expect(foreign.body.errortext).toMatch(/not found/i);
    const denied = await call(keys.tenant, { command: "createDomain", name: "intruder" });
    expect(denied.status).toBe(432);
    expect(denied.body.errortext).toMatch(NOT_AVAILABLE);
    expect(await db().select().from(domains).where(eq(domains.name, "intruder"))).toEqual([]);

    const noName = await call(keys.admin, { command: "createDomain" });
    expect(noName.status).toBe(431);
    expect(noName.body.errortext).toContain("name");
    expect((await call(keys.admin, { command: "createDomain", name: "x", parentdomainid: "7" })).body.errortext).toContain(
      "parentdomainid",
    );
  });

  it("createAccount and createUser: in the caller's subtree, with CloudStack's account types", async () => {
    const { acme, initech } = cloud.t.domains;
    const r = await call(keys.reseller, {
      command: "createAccount",
      username: "cs-ops",
      password: "password-cs-ops",
      email: "ops@example.com",
      firstname: "Olga",
      lastname: "Ops",
      accounttype: "2",
      account: "acme-ops",
      domainid: acme.id,
    });
    expect(r.status).toBe(200);
    expect(r.body.account).toMatchObject({
      name: "acme-ops",
      accounttype: 2,
      roletype: "DomainAdmin",
      domainid: acme.id,
      domain: "Acme Cloud",
      state: "Enabled",
      user: [{ username: "cs-ops", email: "ops@example.com", firstname: "Olga", lastname: "Ops", account: "acme-ops", accounttype: 2 }],
    });
    // The new user can log in.
    const login = await http({ command: "login", username: "cs-ops", password: "password-cs-ops", domain: "/Acme Cloud" });
    expect(login.body).toMatchObject({ account: "acme-ops", type: "2" });

    const foreign = await call(keys.reseller, {
      command: "createAccount",
      username: "x-1",
      password: "password-x-1",
      account: "x-1",
      domainid: initech.id,
    });
    expect(foreign.status).toBe(431);
    const badType = await call(keys.admin, { command: "createAccount", username: "x-2", password: "password-x-2", accounttype: "7" });
    expect(badType.status).toBe(431);
    expect(badType.body.errortext).toContain("accounttype");
    const denied = await call(keys.tenant, { command: "createAccount", username: "x-3", password: "password-x-3", account: "x-3" });
    expect(denied.status).toBe(432);
    const made = await db()
      .select({ n: count() })
      .from(users)
      .where(sql`${users.username} in ('x-1', 'x-2', 'x-3')`);
    expect(made[0]!.n).toBe(0);

    const u = await call(keys.reseller, {
      command: "createUser",
      username: "tom-two",
      password: "password-tom-two",
      firstname: "Tom",
      lastname: "Two",
      email: "tom2@example.com",
      account: "acme-dev",
      domainid: acme.id,
    });
    expect(u.status).toBe(200);
    expect(u.body.user).toMatchObject({
      username: "tom-two",
      account: "acme-dev",
      accountid: cloud.t.tenantAccount.id,
      accounttype: 0,
      email: "tom2@example.com",
    });
    const noAccount = await call(keys.reseller, { command: "createUser", username: "x-4", password: "password-x-4" });
    expect(noAccount.status).toBe(431);
    expect(noAccount.body.errortext).toContain("account");
    const outOfScope = await call(keys.reseller2, {
      command: "createUser",
      username: "x-5",
      password: "password-x-5",
      account: "acme-dev",
      domainid: acme.id,
    });
    expect(outOfScope.status).toBe(431);
    expect(
      (await call(keys.tenant, { command: "createUser", username: "x-6", password: "password-x-6", account: "acme-dev" })).status,
    ).toBe(432);
    expect(
      await db()
        .select()
        .from(users)
        .where(sql`${users.username} in ('x-4', 'x-5', 'x-6')`),
    ).toEqual([]);
  });

  it("registerUserKeys: a user for itself, an admin or reseller for users in scope; the keys sign requests", async () => {
    const tenantId = cloud.t.callers.tenant.userId;
    const own = await call(keys.tenant, { command: "registerUserKeys", id: tenantId });
    expect(own.status).toBe(200);
    const k = own.body.userkeys as { apikey: string; secretkey: string };
    const fresh: IssuedKey = { id: "", name: "", apiKey: k.apikey, secretKey: k.secretkey, expiresAt: null };
    const zones = await call(fresh, { command: "listZones" });
    expect(zones.status).toBe(200);
    const byReseller = await call(keys.reseller, { command: "registerUserKeys", id: tenantId });
    expect((byReseller.body.userkeys as Body).apikey).toEqual(expect.any(String));

    const keysOf = async (userId: string) => (await db().select({ n: count() }).from(apiKeys).where(eq(apiKeys.userId, userId)))[0]!.n;
    const resellerId = cloud.t.callers.reseller.userId;
    const before = [await keysOf(resellerId), await keysOf(tenantId)];
    const other = await call(keys.tenant, { command: "registerUserKeys", id: resellerId });
    expect(other.status).toBe(431);
    expect(other.body.errortext).toMatch(/not found/i);
    expect((await call(keys.reseller2, { command: "registerUserKeys", id: tenantId })).status).toBe(431);
    expect([await keysOf(resellerId), await keysOf(tenantId)]).toEqual(before);
    const bad = await call(keys.tenant, { command: "registerUserKeys", id: "me" });
    expect(bad.status).toBe(431);
    expect(bad.body.errortext).toContain("id");
  });

  it("listAsyncJobs: the caller's jobs as CloudStack's asyncjobs, never another tenant's", async () => {
    const choice = await deployChoicesByName(db());
    const deploy = await call(keys.tenant, {
      command: "deployVirtualMachine",
      zoneid: choice.zoneId,
      templateid: choice.templateId,
      serviceofferingid: choice.computeOfferingId,
      name: "cs-admin-vm",
    });
    const { id, jobid } = deploy.body as { id: string; jobid: string };
    expect((await waitJob(keys.tenant, jobid)).jobstatus).toBe(1);

    const mine = await call(keys.tenant, { command: "listAsyncJobs" });
    expect(mine.status).toBe(200);
    const job = (mine.body.asyncjobs as Body[]).find((j) => j.jobid === jobid);
    expect(job).toMatchObject({
      cmd: "org.apache.cloudstack.api.command.user.vm.DeployVMCmd",
      jobstatus: 1,
      jobresultcode: 0,
      jobinstancetype: "VirtualMachine",
      jobinstanceid: id,
      accountid: cloud.t.tenantAccount.id,
      userid: cloud.t.callers.tenant.userId,
    });
    expect(job!.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/);
    const paged = await call(keys.tenant, { command: "listAsyncJobs", page: "1", pagesize: "1" });
    expect((paged.body.asyncjobs as Body[]).length).toBe(1);
    expect(paged.body.count).toBe(mine.body.count);
    expect((await call(keys.tenant, { command: "listAsyncJobs", startdate: "2100-01-01" })).body).toEqual({});

    expect(JSON.stringify((await call(keys.tenant2, { command: "listAsyncJobs", listall: "true" })).body)).not.toContain(jobid);
    expect(JSON.stringify((await call(keys.admin, { command: "listAsyncJobs" })).body)).not.toContain(jobid);
    expect(JSON.stringify((await call(keys.admin, { command: "listAsyncJobs", listall: "true" })).body)).toContain(jobid);
    expect(JSON.stringify((await call(keys.reseller, { command: "listAsyncJobs", listall: "true" })).body)).toContain(jobid);
    expect(JSON.stringify((await call(keys.reseller2, { command: "listAsyncJobs", listall: "true" })).body)).not.toContain(jobid);
    const bad = await call(keys.tenant, { command: "listAsyncJobs", startdate: "yesterday" });
    expect(bad.status).toBe(431);
    expect(bad.body.errortext).toContain("startdate");
  });

  it("listHosts: the root admin's, with CloudStack's host fields and filters", async () => {
    const all = await call(keys.admin, { command: "listHosts" });
    expect(all.status).toBe(200);
    const list = all.body.host as Body[];
    const [h] = await db().select().from(hosts).orderBy(hosts.name).limit(1);
    expect(all.body.count).toBe((await db().select({ n: count() }).from(hosts))[0]!.n);
    const first = list.find((x) => x.id === h!.id)!;
    expect(first).toMatchObject({
      name: h!.name,
      type: "Routing",
      state: "Up",
      resourcestate: "Enabled",
      hypervisor: "Simulator",
      ipaddress: h!.address,
      zoneid: h!.zoneId,
      podid: h!.podId,
      clusterid: h!.clusterId,
      cpunumber: h!.cpuCores,
      cpuspeed: h!.cpuMhz,
      memorytotal: h!.memoryMib * 1024 ** 2,
      memoryused: h!.memoryUsedMib * 1024 ** 2,
    });
    expect(first.cpuallocated).toMatch(/^[\d.]+%$/);
    expect((await call(keys.admin, { command: "listHosts", name: h!.name })).body.count).toBe(1);
    expect((await call(keys.admin, { command: "listHosts", id: h!.id })).body.host).toMatchObject([{ id: h!.id }]);
    expect((await call(keys.admin, { command: "listHosts", state: "Down" })).body).toEqual({});
    expect((await call(keys.admin, { command: "listHosts", type: "SecondaryStorage" })).body).toEqual({});
    const page = await call(keys.admin, { command: "listHosts", page: "1", pagesize: "1" });
    expect([(page.body.host as Body[]).length, page.body.count]).toEqual([1, all.body.count]);
    const bad = await call(keys.admin, { command: "listHosts", state: "sideways" });
    expect(bad.status).toBe(431);
    expect(bad.body.errortext).toContain("state");
    for (const who of ["reseller", "tenant"] as const) {
      const r = await call(keys[who], { command: "listHosts" });
      expect([r.status, r.body.errortext], who).toEqual([432, expect.stringMatching(NOT_AVAILABLE)]);
    }
  });

  it("listCapacity: the zones' measured capacities with CloudStack's type numbers (root admin only)", async () => {
    const zoneId = (await deployChoicesByName(db())).zoneId;
    const before = await call(keys.admin, { command: "listCapacity", zoneid: zoneId });
    // No public address range yet: no address capacity (type 4) to speak of.
    expect((before.body.capacity as Body[]).some((c) => c.type === 4)).toBe(false);
    await api(db(), cloud.t.callers.admin).publicIpRange.add({
      zoneId,
      gateway: "198.51.100.1",
      prefixLength: 24,
      startIp: "198.51.100.10",
      endIp: "198.51.100.20",
    });
    const r = await call(keys.admin, { command: "listCapacity", zoneid: zoneId });
    expect(r.status).toBe(200);
    const caps = r.body.capacity as Body[];
    expect(caps.map((c) => c.type).sort()).toEqual(expect.arrayContaining([0, 1, 3, 4, 6, 7]));
    expect(caps.find((c) => c.type === 4)).toMatchObject({ name: "VIRTUAL_NETWORK_PUBLIC_IP", capacityused: 0, capacitytotal: 11 });
    // The seeded VLAN range 100–3999; every network of the zone with a VLAN takes one.
    const [withVlan] = await db()
      .select({ n: count() })
      .from(networks)
      .where(and(eq(networks.zoneId, zoneId), isNotNull(networks.vlan)));
    expect(caps.find((c) => c.type === 7)).toMatchObject({ name: "VLAN", capacityused: withVlan!.n, capacitytotal: 3900 });
    const [used] = await db()
      .select({ cpu: sql<number>`sum(${hosts.cpuUsedMhz})::float8`, mem: sql<number>`sum(${hosts.memoryUsedMib})::float8` })
      .from(hosts)
      .where(eq(hosts.zoneId, zoneId));
    const cpu = caps.find((c) => c.type === 1)!;
    const mem = caps.find((c) => c.type === 0)!;
    // The VM deployed above reserves CPU and memory on a host of the zone.
    expect(Number(used!.cpu)).toBeGreaterThan(0);
    expect(cpu).toMatchObject({ name: "CPU", zoneid: zoneId, capacityused: Number(used!.cpu) });
    expect(mem).toMatchObject({ name: "MEMORY", capacityused: Number(used!.mem) * 1024 ** 2 });
    expect(Number(cpu.capacitytotal)).toBeGreaterThan(Number(cpu.capacityused));
    expect(Number(cpu.percentused)).toBeCloseTo((Number(cpu.capacityused) / Number(cpu.capacitytotal)) * 100, 1);
    const onlyCpu = await call(keys.admin, { command: "listCapacity", type: "1" });
    expect((onlyCpu.body.capacity as Body[]).every((c) => c.type === 1)).toBe(true);
    const sorted = (await call(keys.admin, { command: "listCapacity", sortby: "usage" })).body.capacity as Body[];
    const pct = sorted.map((c) => Number(c.percentused));
    expect(pct).toEqual([...pct].sort((a, b) => b - a));
    expect((await call(keys.admin, { command: "listCapacity", type: "cpu" })).status).toBe(431);
    expect((await call(keys.admin, { command: "listCapacity", type: "42" })).body.errortext).toContain("type");
    expect((await call(keys.admin, { command: "listCapacity", zoneid: randomUUID() })).body).toEqual({});
    for (const who of ["reseller", "tenant"] as const) expect((await call(keys[who], { command: "listCapacity" })).status, who).toBe(432);
  });

  it("listUsageRecords: CloudStack's usage records from Stratus's, a tenant's own account only", async () => {
    const [o] = await db().select().from(computeOfferings).where(eq(computeOfferings.name, "Small"));
    const vm1 = randomUUID();
    const vm2 = randomUUID();
    const [t2] = await db()
      .select()
      .from(accounts)
      .where(and(eq(accounts.name, "initech-dev"), isNull(accounts.removedAt)));
    const facts = [
      [cloud.t.tenantAccount.id, cloud.t.domains.acme.id, vm1, "tenant-vm", "VM.START", "2026-11-03T10:00:00Z"],
      [cloud.t.tenantAccount.id, cloud.t.domains.acme.id, vm1, "tenant-vm", "VM.STOP", "2026-11-03T11:30:00Z"],
      [t2!.id, cloud.t.domains.initech.id, vm2, "initech-vm", "VM.START", "2026-11-03T10:00:00Z"],
      [t2!.id, cloud.t.domains.initech.id, vm2, "initech-vm", "VM.STOP", "2026-11-03T10:30:00Z"],
    ] as const;
    for (const [accountId, domainId, resourceId, resourceName, type, at] of facts)
      await db()
        .insert(usageEvents)
        .values({
          type,
          accountId,
          domainId,
          resourceId,
          resourceName,
          offeringId: o!.id,
          occurredAt: new Date(at),
          idempotencyKey: randomUUID(),
        });
    await aggregateUsage(db(), { now: new Date("2026-11-04T00:00:00Z") });

    const range = { startdate: "2026-11-03", enddate: "2026-11-03" };
    const mine = await call(keys.tenant, { command: "listUsageRecords", ...range });
    expect(mine.status).toBe(200);
    const recs = mine.body.usagerecord as Body[];
    expect(recs.length).toBe(2);
    expect(recs.every((r) => r.accountid === cloud.t.tenantAccount.id && r.account === "acme-dev" && r.domain === "Acme Cloud")).toBe(true);
    expect(recs.map((r) => r.rawusage).sort()).toEqual(["0.5", "1"]);
    expect(recs.find((r) => r.rawusage === "0.5")).toMatchObject({
      usagetype: 1,
      usage: "0.5 Hrs",
      name: "tenant-vm",
      usageid: vm1,
      virtualmachineid: vm1,
      offeringid: o!.id,
      cpunumber: o!.cpuCores,
      startdate: "2026-11-03T11:00:00+0000",
      enddate: "2026-11-03T12:00:00+0000",
    });
    expect(JSON.stringify(mine.body)).not.toContain(vm2);
    expect((await call(keys.tenant, { command: "listUsageRecords", ...range, account: "initech-dev" })).body).toEqual({});
    expect((await call(keys.tenant, { command: "listUsageRecords", ...range, accountid: t2!.id })).body).toEqual({});
    expect((await call(keys.tenant, { command: "listUsageRecords", ...range, type: "6" })).body).toEqual({});

    const theirs = await call(keys.admin, { command: "listUsageRecords", ...range, accountid: t2!.id });
    expect((theirs.body.usagerecord as Body[]).map((r) => [r.name, r.rawusage])).toEqual([["initech-vm", "0.5"]]);
    const reseller = await call(keys.reseller, { command: "listUsageRecords", ...range });
    expect(JSON.stringify(reseller.body)).toContain(vm1);
    expect(JSON.stringify(reseller.body)).not.toContain(vm2);

    const noEnd = await call(keys.tenant, { command: "listUsageRecords", startdate: "2026-11-03" });
    expect(noEnd.status).toBe(431);
    expect(noEnd.body.errortext).toContain("enddate");
    expect((await call(keys.tenant, { command: "listUsageRecords", startdate: "3 Nov", enddate: "2026-11-03" })).body.errortext).toContain(
      "startdate",
    );
    expect((await call(keys.tenant, { command: "listUsageRecords", ...range, type: "999" })).status).toBe(431);
  });

  it("listApis lists the new commands", async () => {
    const names = ((await call(keys.tenant, { command: "listApis" })).body.api as Body[]).map((a) => a.name);
    for (const n of [
      "login",
      "logout",
      "createDomain",
      "listHosts",
      "listCapacity",
      "listAsyncJobs",
      "listUsageRecords",
      "registerUserKeys",
    ])
      expect(names).toContain(n);
  });
});
