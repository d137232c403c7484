import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeys, instances, jobs } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { deployChoicesByName } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { csCall, type CsCallOptions, waitCsJob } from "@/test/cloudstack";
import { issueApiKey, revokeApiKey, type IssuedKey } from "@/server/services/api-keys";
import { handleCloudStackRequest } from "./api";
import { signRequest, type Pair } from "./signature";

/**
 * The CloudStack API end to end, in process (the route only turns HTTP into pairs): signed
 * requests with real keys against the simulator cloud, on PGlite and on PostgreSQL.
 */
const cloud = simulatorCloud();

type Body = Record<string, unknown>;
const call = (key: IssuedKey, params: Record<string, string>, opts: CsCallOptions = {}) => csCall(cloud.h.db, key, params, opts);

const waitJob = async (key: IssuedKey, jobid: string) => (await waitCsJob((p) => call(key, p), jobid)).body;

let tenantKey: IssuedKey;
let tenant2Key: IssuedKey;
let adminKey: IssuedKey;

beforeAll(async () => {
  const { h, t } = cloud;
  tenantKey = await issueApiKey(h.db, t.callers.tenant.userId, { name: "ci" }, t.callers.tenant.userId);
  tenant2Key = await issueApiKey(h.db, t.callers.tenant2.userId, { name: "ci" }, t.callers.tenant2.userId);
  adminKey = await issueApiKey(h.db, t.callers.admin.userId, { name: "ci" }, t.callers.admin.userId);
});

describe(`the CloudStack API (${testDbKind()})`, () => {
  it("deploys, follows the job, lists with filters, stops, destroys with expunge", async () => {
    const choice = await deployChoicesByName(cloud.h.db);
    const zones = await call(tenantKey, { command: "listZones" });
    expect(zones.status).toBe(200);
    expect(zones.envelope).toBe("listzonesresponse");
    expect((zones.body.zone as Body[]).map((z) => z.id)).toContain(choice.zoneId);
    const offerings = await call(tenantKey, { command: "listServiceOfferings" });
    expect(
      (offerings.body.serviceoffering as Body[]).some((o) => o.id === choice.computeOfferingId && typeof o.cpunumber === "number"),
    ).toBe(true);
    const templates = await call(tenantKey, { command: "listTemplates", templatefilter: "executable" });
    expect((templates.body.template as Body[]).some((x) => x.id === choice.templateId)).toBe(true);

    const deploy = await call(tenantKey, {
      command: "deployVirtualMachine",
      zoneid: choice.zoneId,
      templateid: choice.templateId,
      serviceofferingid: choice.computeOfferingId,
      name: "cs-web-1",
    });
    expect(deploy.status).toBe(200);
    expect(deploy.envelope).toBe("deployvirtualmachineresponse");
    const { id, jobid } = deploy.body as { id: string; jobid: string };
    const done = await waitJob(tenantKey, jobid);
    expect(done.jobstatus).toBe(1);
    expect(done.jobresultcode).toBe(0);
    const vm = (done.jobresult as { virtualmachine: Body }).virtualmachine;
    expect(vm).toMatchObject({
      id,
      name: "cs-web-1",
      displayname: "cs-web-1",
      state: "Running",
      zoneid: choice.zoneId,
      account: "acme-dev",
    });
    expect(vm.serviceofferingid).toBe(choice.computeOfferingId);
    expect(vm.templateid).toBe(choice.templateId);
    expect(Array.isArray(vm.nic) && (vm.nic as Body[])[0]).toMatchObject({ isdefault: true });
    expect(typeof (vm.nic as Body[])[0]!.ipaddress).toBe("string");

    // Filters: state, name, page/pagesize, id; an empty list is {}.
    const running = await call(tenantKey, { command: "listVirtualMachines", state: "Running", name: "cs-web-1" });
    expect(running.body).toMatchObject({ count: 1 });
    expect((running.body.virtualmachine as Body[])[0]!.id).toBe(id);
    expect((await call(tenantKey, { command: "listVirtualMachines", state: "Stopped", name: "cs-web-1" })).body).toEqual({});
    const paged = await call(tenantKey, { command: "listVirtualMachines", page: "1", pagesize: "1" });
    expect((paged.body.virtualmachine as Body[]).length).toBe(1);
    expect((await call(tenantKey, { command: "listVirtualMachines", id })).body.count).toBe(1);

    const stop = await call(tenantKey, { command: "stopVirtualMachine", id, forced: "true" });
    expect((await waitJob(tenantKey, stop.body.jobid as string)).jobresult).toMatchObject({ virtualmachine: { state: "Stopped" } });
    const volumes = await call(tenantKey, { command: "listVolumes", virtualmachineid: id });
    expect((volumes.body.volume as Body[])[0]).toMatchObject({ type: "ROOT", virtualmachineid: id });
    const destroy = await call(tenantKey, { command: "destroyVirtualMachine", id, expunge: "true" });
    expect(destroy.status).toBe(200);
    expect((await waitJob(tenantKey, destroy.body.jobid as string)).jobstatus).toBe(1);
    const [row] = await cloud.h.db.select().from(instances).where(eq(instances.id, id));
    expect(row!.state).toBe("expunged");
    // One job, answered at once: the destroy job expunged the VM itself (no second, expunge job).
    const vmJobs = await cloud.h.db.select().from(jobs).where(eq(jobs.resourceId, id));
    expect(vmJobs.filter((j) => j.type === "vm.destroy" || j.type === "vm.expunge").map((j) => [j.id, j.type, j.status])).toEqual([
      [destroy.body.jobid, "vm.destroy", "succeeded"],
    ]);
    expect((await call(tenantKey, { command: "listVirtualMachines", id })).body).toEqual({});
  });

  it("answers CloudStack's errors with HTTP status = errorcode, changing nothing", async () => {
    const bad = await call(tenantKey, { command: "listZones" }, { sign: () => "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" });
    expect(bad.status).toBe(401);
    expect(bad.body.errorcode).toBe(401);
    expect(bad.body.errortext).toContain("signature");
    expect(bad.envelope).toBe("listzonesresponse");
    const unknownKey = { ...tenantKey, apiKey: "no-such-key" };
    expect((await call(unknownKey, { command: "listZones" })).status).toBe(401);
    const missing = await call(tenantKey, { command: "startVirtualMachine" });
    expect([missing.status, missing.body.errorcode]).toEqual([431, 431]);
    expect(missing.body.errortext).toContain("id");
    const unknownParam = await call(tenantKey, { command: "listZones", bogus: "1" });
    expect(unknownParam.status).toBe(431);
    expect(unknownParam.body.errortext).toContain("bogus");
    const badType = await call(tenantKey, { command: "listVirtualMachines", pagesize: "many" });
    expect(badType.status).toBe(431);
    // A CloudStack command Stratus does not answer (VPCs) is CloudStack's 432, as an unknown one is.
    const vpc = await call(tenantKey, { command: "createVPC" });
    expect([vpc.status, vpc.body.errorcode]).toEqual([432, 432]);
    expect(vpc.body.errortext).toContain("does not exist or it is not available");
    expect((await call(tenantKey, { command: "noSuchCommand" })).status).toBe(432);
    // A user may not use admin-only commands: CloudStack's permission error.
    expect((await call(tenantKey, { command: "listDomains" })).status).toBe(531);
  });

  it("takes parameter names in any case, GET-style pairs in any order", async () => {
    const r = await call(tenantKey, { COMMAND: "listZones" });
    expect(r.status).toBe(200);
    const pairs: Pair[] = [
      ["response", "json"],
      ["command", "listCapabilities"],
      ["apikey", tenantKey.apiKey],
    ];
    pairs.push(["signature", signRequest(pairs, tenantKey.secretKey)]);
    const caps = await handleCloudStackRequest(cloud.h.db, pairs);
    expect(caps.status).toBe(200);
    const parsed = JSON.parse(caps.text) as { listcapabilitiesresponse: { capability: { cloudstackversion: string } } };
    expect(parsed.listcapabilitiesresponse.capability.cloudstackversion).toMatch(/^4\./);
  });

  it("honours signatureVersion=3 with expires and refuses an expired request", async () => {
    const later = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "+0000");
    const ok = await call(tenantKey, { command: "listZones", signatureVersion: "3", expires: later });
    expect(ok.status).toBe(200);
    const expired = await call(tenantKey, { command: "listZones", signatureVersion: "3", expires: "2020-01-01T00:00:00+0000" });
    expect(expired.status).toBe(401);
    expect(expired.body.errortext).toContain("expired");
    expect((await call(tenantKey, { command: "listZones", signatureVersion: "3" })).status).toBe(401);
  });

  it("a second tenant's key sees and changes nothing of the first's (not found, never forbidden)", async () => {
    const choice = await deployChoicesByName(cloud.h.db);
    const deploy = await call(tenantKey, {
      command: "deployVirtualMachine",
      zoneid: choice.zoneId,
      templateid: choice.templateId,
      serviceofferingid: choice.computeOfferingId,
      name: "cs-private",
    });
    const { id, jobid } = deploy.body as { id: string; jobid: string };
    await waitJob(tenantKey, jobid);
    const seen = await call(tenant2Key, { command: "listVirtualMachines", listall: "true" });
    expect(JSON.stringify(seen.body)).not.toContain(id);
    expect((await call(tenant2Key, { command: "listVirtualMachines", id })).body).toEqual({});
    for (const command of [
      "startVirtualMachine",
      "stopVirtualMachine",
      "rebootVirtualMachine",
      "destroyVirtualMachine",
      "recoverVirtualMachine",
    ]) {
      const r = await call(tenant2Key, { command, id });
      expect(r.status, command).toBe(431);
      expect(r.body.errortext, command).toMatch(/not found/i);
    }
    const job = await call(tenant2Key, { command: "queryAsyncJobResult", jobid });
    expect(job.status).toBe(431);
    expect((await call(tenant2Key, { command: "listVolumes", virtualmachineid: id })).body).toEqual({});
    const [row] = await cloud.h.db.select().from(instances).where(eq(instances.id, id));
    expect(row!.state).toBe("running");
  });

  it("admins see only their own account without listall, their scope with it", async () => {
    const own = await call(adminKey, { command: "listVirtualMachines" });
    expect(JSON.stringify(own.body)).not.toContain("cs-private");
    const all = await call(adminKey, { command: "listVirtualMachines", listall: "true" });
    expect(JSON.stringify(all.body)).toContain("cs-private");
    const domains = await call(adminKey, { command: "listDomains" });
    expect((domains.body.domain as Body[]).some((d) => d.name === "ROOT" && d.level === 0)).toBe(true);
    const users = await call(adminKey, { command: "listUsers", username: "tenant" });
    expect(users.body).toMatchObject({ count: 1, user: [{ username: "tenant", account: "acme-dev" }] });
    expect((await call(adminKey, { command: "listAccounts", name: "acme-dev" })).body.count).toBe(1);
  });

  it("names an account as CloudStack does: in domainid, else in the caller's own domain, never a same-named one below", async () => {
    // A second "acme-dev", in Team A below Acme: no VMs.
    const made = await call(adminKey, {
      command: "createAccount",
      username: "acme-dev-team-a",
      password: "password-team-a",
      email: "a@example.com",
      firstname: "A",
      lastname: "A",
      accounttype: "0",
      account: "acme-dev",
      domainid: cloud.t.domains.teamA.id,
    });
    expect(made.status).toBe(200);
    const vms = (p: Record<string, string>) => call(adminKey, { command: "listVirtualMachines", listall: "true", ...p });
    expect(JSON.stringify((await vms({ account: "acme-dev", domainid: cloud.t.domains.acme.id })).body)).toContain("cs-private");
    expect((await vms({ account: "acme-dev", domainid: cloud.t.domains.teamA.id })).body).toEqual({});
    // Without domainid: the root admin's own domain (ROOT), which has no acme-dev.
    expect((await vms({ account: "acme-dev" })).body).toEqual({});
  });

  it("a revoked or expired key is refused; listApis lists only what works", async () => {
    const apis = await call(tenantKey, { command: "listApis" });
    const names = (apis.body.api as Body[]).map((a) => a.name);
    expect(names).toContain("deployVirtualMachine");
    expect(names).toEqual(
      expect.arrayContaining(["scaleVirtualMachine", "createVolume", "createNetwork", "login", "createConsoleEndpoint"]),
    );
    expect(names).not.toContain("createVPC");
    const k = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "short" }, null);
    expect((await call(k, { command: "listZones" })).status).toBe(200);
    const [used] = await cloud.h.db.select().from(apiKeys).where(eq(apiKeys.id, k.id));
    expect(used!.lastUsedAt).not.toBeNull();
    await revokeApiKey(cloud.h.db, cloud.t.callers.tenant, k.id);
    expect((await call(k, { command: "listZones" })).status).toBe(401);
    const e = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "old", expiresAt: new Date(Date.now() + 1000) }, null);
    expect((await call(e, { command: "listZones" }, { now: new Date(Date.now() + 5000) })).status).toBe(401);
  });

  it("limits the rate per key", async () => {
    process.env.STRATUS_API_RATE_PER_MINUTE = "3";
    try {
      const k = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "busy" }, null);
      const now = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1000);
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await call(k, { command: "listZones" }, { now })).status);
      expect(codes).toEqual([200, 200, 200, 429]);
      // Another key is not affected.
      const other = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "other" }, null);
      expect((await call(other, { command: "listZones" }, { now })).status).toBe(200);
      expect((await call(k, { command: "listZones" }, { now: new Date(now.getTime() + 60_000) })).status).toBe(200);
    } finally {
      delete process.env.STRATUS_API_RATE_PER_MINUTE;
    }
  });
});
