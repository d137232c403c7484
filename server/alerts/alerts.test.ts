import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { alertDeliveries, alerts, hosts, instances, jobs, users, webhookDeliveries } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { webhookReceiver } from "@/test/webhook-receiver";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import type { Caller } from "@/server/authz/caller";
import { reconcileAll } from "@/server/orchestrator/sync/reconciler";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from "@/server/webhooks/sign";
import { evaluateAlerts } from "./evaluate";
import { sendPendingAlertEmails } from "./email";

/**
 * Alerts end to end through the real parts: a host failure injected through the simulator's admin
 * API, the reconciler noticing it, the evaluator opening (once) and resolving alerts, each role
 * seeing only its scope through the API, e-mails read back from a real SMTP server, and ROOT's
 * webhook deliveries received by a real local HTTP server with valid signatures.
 */
let h: DbHandle;
let callers: Awaited<ReturnType<typeof seedTenancy>>["callers"];
let tenancy: Awaited<ReturnType<typeof seedTenancy>>;
const hooks: Record<"root" | "tenant" | "globex", string> = { root: "", tenant: "", globex: "" };
let workers: ReturnType<typeof testWorkers>;
let smtp: SMTPServer;
const mail: { to: string[]; data: string }[] = [];
const savedEnv = { ...process.env };
let rx: Awaited<ReturnType<typeof webhookReceiver>>;
let rootSecret = "";

beforeAll(async () => {
  h = await openTestDb();
  tenancy = await seedTenancy(h.db);
  callers = tenancy.callers;
  workers = testWorkers(h);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, cb) {
      let data = "";
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => (data += c));
      stream.on("end", () => {
        mail.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  process.env.STRATUS_SMTP_HOST = "127.0.0.1";
  process.env.STRATUS_SMTP_PORT = String((smtp.server.address() as AddressInfo).port);
  process.env.STRATUS_SMTP_FROM = "Stratus alerts <alerts@stratus.test>";
  // Who wants e-mail: the root admin, the reseller above the tenant, the tenant; globex too (it must get nothing).
  for (const [name, email] of [
    ["admin", "admin@stratus.test"],
    ["reseller", "reseller@stratus.test"],
    ["tenant", "tenant@stratus.test"],
    ["globex", "globex@stratus.test"],
    ["reseller2", "reseller2@stratus.test"],
  ] as const) {
    await h.db.update(users).set({ email }).where(eq(users.username, name));
  }
  for (const c of [callers.admin, callers.reseller, callers.tenant, callers.globex, callers.reseller2])
    await api(h.db, c).alert.subscribe({ email: true, minSeverity: "warning" });
  // Webhooks: ROOT's to a real receiver (the requests and signatures are checked); the others to
  // a closed local port (what is checked there is who gets a delivery).
  process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = "127.0.0.1";
  rx = await webhookReceiver();
  const hook = (c: Caller, scope: { domainId?: string; accountId?: string }, url = "http://127.0.0.1:9/hook") =>
    api(h.db, c).webhook.create({ ...scope, name: "alerts", url, eventTypes: ["ALERT.OPENED", "ALERT.RESOLVED"] });
  const root = await hook(callers.admin, { domainId: tenancy.domains.root.id }, rx.url);
  hooks.root = root.id;
  rootSecret = root.secret;
  hooks.tenant = (await hook(callers.tenant, { accountId: tenancy.tenantAccount.id })).id;
  hooks.globex = (await hook(callers.globex, { accountId: callers.globex.accountId })).id;
});
afterAll(async () => {
  process.env = savedEnv;
  await workers.stop();
  await rx.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await h.close();
});

/** ROOT's deliveries of `event`, once their delivery jobs ran: what the receiver got, signature checked. */
async function receivedByRoot(event: string) {
  const mine = await h.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, hooks.root));
  for (const d of mine.filter((d) => d.event === event)) {
    const [job] = await h.db.select().from(jobs).where(eq(jobs.resourceId, d.id));
    expect((await waitForJob(h.db, job!.id)).status).toBe("succeeded");
  }
  return rx.got
    .filter((g) => g.headers["x-stratus-event"] === event)
    .map((g) => {
      const signed = { signature: g.headers[SIGNATURE_HEADER] as string, timestamp: g.headers[TIMESTAMP_HEADER] as string };
      expect(verifyWebhook(rootSecret, signed, g.body)).toBe(true);
      expect(verifyWebhook("whsec_wrong", signed, g.body)).toBe(false);
      return `${event} ${(JSON.parse(g.body) as { data: { rule: string } }).data.rule}`;
    })
    .sort();
}

const titles = async (c: Caller, state: "open" | "resolved" | "all" = "open") =>
  (await api(h.db, c).alert.list({ state })).items.map((a) => `${a.rule} ${a.severity} ${a.state}`).sort();

describe(`alerts (${testDbKind()})`, () => {
  let hostId = "";
  let faultId = "";

  it("a host failure opens a host alert for the root admin and a VM alert for the tenant and its reseller", async () => {
    const [vm] = await api(h.db, callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "alert-vm", count: 1 });
    await waitForJob(h.db, vm!.jobId);
    const [row] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
    expect(row!.state).toBe("running");
    hostId = row!.hostId!;
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 0 });

    const fault = await api(h.db, callers.admin).simulator.addFault({ operation: "list", hostId, message: "host lost power" });
    faultId = fault.id;
    await reconcileAll(h.db);
    expect((await h.db.select().from(hosts).where(eq(hosts.id, hostId)))[0]!.status).toBe("disconnected");
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 1 });
    expect(await titles(callers.admin)).toEqual(["host.unreachable warning open"]);

    // Silent past the down delay: Down, its VMs Unknown.
    await h.db
      .update(hosts)
      .set({ lastSeenAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(hosts.id, hostId));
    await reconcileAll(h.db);
    expect((await h.db.select().from(instances).where(eq(instances.id, vm!.id)))[0]!.state).toBe("unknown");
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 1, changed: 1 });
    // Deduplicated: evaluating again opens nothing.
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 0, changed: 0, resolved: 0 });
    expect(await h.db.select().from(alerts)).toHaveLength(2);

    expect(await titles(callers.admin)).toEqual(["host.unreachable critical open", "vm.host_failure critical open"]);
    expect(await titles(callers.tenant)).toEqual(["vm.host_failure critical open"]);
    expect(await titles(callers.reseller)).toEqual(["vm.host_failure critical open"]);
    expect(await titles(callers.globex)).toEqual([]);
    expect(await titles(callers.reseller2)).toEqual([]);
    const tenantView = JSON.stringify(await api(h.db, callers.tenant).alert.list({ state: "all" }));
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(tenantView).not.toContain(host!.name);
    expect(tenantView).not.toContain(hostId);
    expect(tenantView).toContain("alert-vm");

    // The bell: unread until read.
    expect(await api(h.db, callers.tenant).alert.counts()).toEqual({ open: 1, unread: 1 });
    await api(h.db, callers.tenant).alert.markRead();
    expect(await api(h.db, callers.tenant).alert.counts()).toEqual({ open: 1, unread: 0 });
    expect(await api(h.db, callers.globex).alert.counts()).toEqual({ open: 0, unread: 0 });

    // Webhooks: ROOT's subscription hears both openings, the tenant's only its VM alert, globex nothing.
    const delivered = async (id: string) =>
      (await h.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id)))
        .map((d) => `${d.event} ${(d.payload as { rule: string }).rule}`)
        .sort();
    expect(await delivered(hooks.root)).toEqual(["ALERT.OPENED host.unreachable", "ALERT.OPENED vm.host_failure"]);
    expect(await delivered(hooks.tenant)).toEqual(["ALERT.OPENED vm.host_failure"]);
    expect(await delivered(hooks.globex)).toEqual([]);
    const tenantPayloads = await h.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, hooks.tenant));
    expect(JSON.stringify(tenantPayloads)).toContain("alert-vm");
    expect(JSON.stringify(tenantPayloads)).not.toContain(host!.name);
    // ROOT's receiver got both, signed with its secret.
    expect(await receivedByRoot("ALERT.OPENED")).toEqual(["ALERT.OPENED host.unreachable", "ALERT.OPENED vm.host_failure"]);
  });

  it("e-mails arrive at the SMTP server, each to those who may see the alert", async () => {
    const r = await sendPendingAlertEmails(h.db);
    expect(r.failed).toBe(0);
    const to = (s: string) =>
      mail
        .filter((m) => m.to.includes(s))
        .map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1] ?? "")
        .sort();
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
    // The admin: the host Disconnected, then Down (escalated), and the tenant's VMs.
    expect(to("admin@stratus.test")).toEqual([
      `[Stratus CRITICAL] 1 VM stopped by a host failure`,
      `[Stratus CRITICAL] Host ${host!.name} is Down`,
      `[Stratus WARNING] Host ${host!.name} is Disconnected`,
    ]);
    expect(to("tenant@stratus.test")).toEqual(["[Stratus CRITICAL] 1 VM stopped by a host failure"]);
    expect(to("reseller@stratus.test")).toEqual(["[Stratus CRITICAL] 1 VM stopped by a host failure"]);
    expect(to("globex@stratus.test")).toEqual([]);
    expect(to("reseller2@stratus.test")).toEqual([]);
    expect(mail.find((m) => m.to.includes("tenant@stratus.test"))!.data).not.toContain(host!.name);
    expect((await h.db.select().from(alertDeliveries)).every((d) => d.status === "sent")).toBe(true);
    // Sent once: nothing pending any more.
    expect(await sendPendingAlertEmails(h.db)).toEqual({ sent: 0, failed: 0 });
  });

  it("the alerts resolve by themselves when the host returns, and say so by e-mail", async () => {
    await api(h.db, callers.admin).simulator.removeFault({ id: faultId });
    await reconcileAll(h.db);
    expect((await h.db.select().from(hosts).where(eq(hosts.id, hostId)))[0]!.status).toBe("up");
    expect(await evaluateAlerts(h.db)).toMatchObject({ resolved: 2 });
    expect(await titles(callers.admin)).toEqual([]);
    expect(await titles(callers.admin, "resolved")).toEqual(["host.unreachable critical resolved", "vm.host_failure critical resolved"]);
    expect(await titles(callers.tenant, "all")).toEqual(["vm.host_failure critical resolved"]);
    const before = mail.length;
    await sendPendingAlertEmails(h.db);
    const resolved = mail.slice(before);
    expect(resolved.filter((m) => m.to.includes("tenant@stratus.test")).map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1])).toEqual([
      "[Stratus RESOLVED] 1 VM stopped by a host failure",
    ]);
    expect(resolved.filter((m) => m.to.includes("admin@stratus.test"))).toHaveLength(2);
    expect(await receivedByRoot("ALERT.RESOLVED")).toEqual(["ALERT.RESOLVED host.unreachable", "ALERT.RESOLVED vm.host_failure"]);
  });

  it("capacity above the thresholds opens warning then critical alerts per cluster and zone, with admin-set thresholds", async () => {
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, hostId));
    const clusterHosts = await h.db.select().from(hosts).where(eq(hosts.clusterId, host!.clusterId));
    const zoneHosts = await h.db.select().from(hosts).where(eq(hosts.zoneId, host!.zoneId));
    // Fill every host of the zone to 80 % of its memory (over-provisioning 1 in the demo cloud).
    const fill = async (share: number) => {
      for (const x of zoneHosts)
        await h.db
          .update(hosts)
          .set({ memoryUsedMib: Math.floor(x.memoryMib * share) })
          .where(eq(hosts.id, x.id));
    };
    const original = new Map(zoneHosts.map((x) => [x.id, x.memoryUsedMib]));
    await fill(0.8);
    await evaluateAlerts(h.db);
    const memory = async () =>
      (await api(h.db, callers.admin).alert.list({ state: "open" })).items
        .filter((a) => a.rule === "capacity.memory")
        .map((a) => `${a.subjectType} ${a.severity}`)
        .sort();
    expect(clusterHosts.length).toBeGreaterThan(0);
    expect(await memory()).toContain("zone warning");
    expect(await memory()).toContain("cluster warning");
    expect(await titles(callers.tenant)).toEqual([]);

    // The admin raises the warning threshold above the use: the warnings resolve.
    const a = api(h.db, callers.admin);
    await expect(a.alert.updateRule({ rule: "capacity.memory", enabled: true, warning: 95, critical: 90 })).rejects.toThrow(/warning/);
    await a.alert.updateRule({ rule: "capacity.memory", enabled: true, warning: 85, critical: 90 });
    expect((await a.alert.rules()).find((r) => r.rule === "capacity.memory")).toMatchObject({
      warning: 85,
      critical: 90,
      defaults: { warning: 75 },
    });
    await evaluateAlerts(h.db);
    expect(await memory()).toEqual([]);

    await fill(0.95);
    await evaluateAlerts(h.db);
    expect((await memory()).every((s) => s.endsWith("critical"))).toBe(true);
    expect(await memory()).toContain("zone critical");

    // A rule switched off opens nothing and resolves what it had open.
    await a.alert.updateRule({ rule: "capacity.memory", enabled: false });
    await evaluateAlerts(h.db);
    expect(await memory()).toEqual([]);
    await a.alert.updateRule({ rule: "capacity.memory", enabled: true, warning: 75, critical: 90 });
    for (const [id, used] of original) await h.db.update(hosts).set({ memoryUsedMib: used }).where(eq(hosts.id, id));
    await evaluateAlerts(h.db);
    expect(await memory()).toEqual([]);
  });

  it("the rules and thresholds are the root admin's", async () => {
    for (const c of [callers.reseller, callers.tenant]) {
      await expect(api(h.db, c).alert.rules()).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(api(h.db, c).alert.updateRule({ rule: "capacity.cpu", enabled: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(api(h.db, callers.admin).alert.updateRule({ rule: "no.such", enabled: false })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(api(h.db, callers.admin).alert.updateRule({ rule: "host.unreachable", enabled: true, warning: 3 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
