import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, alerts, charges, computeOfferings, hosts, instances, jobs, templates, zones } from "@/db/schema";
import type { VmState } from "@/lib/vm-state";
import { consume } from "@/server/core/limits";
import { updateAlertRule } from "@/server/services/alerts";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import * as dashboard from "./dashboard";

/**
 * Each role's cards over a cloud with known numbers: VMs of three tenants in two reseller
 * subtrees, their counters, hosts in every status, a failed job, alerts and charges.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
const now = new Date("2026-11-10T12:30:00Z");
let hostCount = 0;

async function accountId(name: string) {
  const [a] = await h.db.select().from(accounts).where(eq(accounts.name, name));
  return a!;
}

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  const [zone] = await h.db.select().from(zones);
  const [offering] = await h.db.select().from(computeOfferings);
  const [template] = await h.db.select().from(templates);
  const vms: [string, string, VmState][] = [
    ["acme-dev", "acme-vm-1", "running"],
    ["acme-dev", "acme-vm-2", "running"],
    ["acme-dev", "acme-vm-3", "running"],
    ["acme-dev", "acme-vm-4", "stopped"],
    ["acme-dev", "acme-vm-gone", "expunged"],
    ["globex-ops", "globex-vm-1", "stopped"],
    ["initech-dev", "initech-vm-1", "running"],
    ["initech-dev", "initech-vm-2", "running"],
    ["initech-dev", "initech-vm-3", "error"],
  ];
  const pathOf: Record<string, string> = {
    "acme-dev": t.domains.acme.path,
    "globex-ops": t.domains.globex.path,
    "initech-dev": t.domains.initech.path,
  };
  for (const [acc, name, state] of vms) {
    const a = await accountId(acc);
    await h.db.insert(instances).values({
      name,
      accountId: a.id,
      domainId: a.domainId,
      domainPath: pathOf[acc]!,
      zoneId: zone!.id,
      computeOfferingId: offering!.id,
      templateId: template!.id,
      state,
      cpuCores: 2,
      cpuMhz: 1000,
      memoryMib: 1024,
    });
  }
  // Current allocation, through the real counters (an account's and every ancestor's).
  for (const [acc, n] of [
    ["acme-dev", 4],
    ["globex-ops", 1],
    ["initech-dev", 3],
  ] as const) {
    await consume(h.db, (await accountId(acc)).id, { instances: n, vcpus: 2 * n, memory_mib: 1024 * n });
  }
  // Hosts: the seed's all Up; one Down, one in Maintenance.
  const hs = await h.db.select().from(hosts).orderBy(hosts.name);
  await h.db
    .update(hosts)
    .set({ status: "up", state: "enabled" })
    .where(sql`true`);
  await h.db.update(hosts).set({ status: "down" }).where(eq(hosts.id, hs[0]!.id));
  await h.db.update(hosts).set({ state: "maintenance" }).where(eq(hosts.id, hs[1]!.id));
  hostCount = hs.length;
  // Failed jobs: one 10 minutes ago (counts), one two hours ago (does not).
  for (const ago of [10, 120])
    await h.db.insert(jobs).values({
      type: "vm.start",
      status: "failed",
      resourceType: "vm",
      resourceId: randomUUID(),
      finishedAt: new Date(Date.now() - ago * 60_000),
    });
  // Alerts: an infrastructure one (root admin only) and one about acme-dev.
  await h.db.insert(alerts).values([
    {
      rule: "host.unreachable",
      subjectType: "host",
      subjectKey: "h1",
      subjectName: "host-1",
      severity: "critical",
      title: "Host down",
      description: "",
    },
    {
      rule: "vm.host_failure",
      subjectType: "account",
      subjectKey: `x:${t.tenantAccount.id}`,
      subjectName: "acme-vm-1",
      severity: "warning",
      title: "VM affected",
      description: "",
      accountId: t.tenantAccount.id,
      domainPath: t.domains.acme.path,
    },
  ]);
  // Charges: acme-dev 2 EUR on the 5th, 0.5 EUR in the latest hour, 9 EUR last month; initech-dev 7 EUR.
  const charge = (acc: { id: string; domainId: string }, path: string, at: string, amount: string) => ({
    accountId: acc.id,
    domainId: acc.domainId,
    domainPath: path,
    usageType: 1,
    resourceId: randomUUID(),
    periodStart: new Date(at),
    dimensionsKey: randomUUID(),
    priceListId: randomUUID(),
    currency: "EUR",
    amount,
  });
  const initech = await accountId("initech-dev");
  await h.db
    .insert(charges)
    .values([
      charge(t.tenantAccount, t.domains.acme.path, "2026-11-05T00:00:00Z", "2"),
      charge(t.tenantAccount, t.domains.acme.path, "2026-11-10T11:00:00Z", "0.5"),
      charge(t.tenantAccount, t.domains.acme.path, "2026-10-30T11:00:00Z", "9"),
      charge(initech, t.domains.initech.path, "2026-11-10T11:00:00Z", "7"),
    ]);
}, 120_000);
afterAll(() => h.close());

const states = (rows: { state: string; count: number }[]) =>
  Object.fromEntries(rows.filter((r) => r.count > 0).map((r) => [r.state, r.count]));

describe(`dashboards (${testDbKind()})`, () => {
  it("counts VMs by state in each caller's scope only", async () => {
    expect(states(await dashboard.vmStateCounts(h.db, t.callers.tenant))).toEqual({ running: 3, stopped: 1 });
    expect(states(await dashboard.vmStateCounts(h.db, t.callers.tenant2))).toEqual({ running: 2, error: 1 });
    // The Acme reseller: acme-dev only (Globex and Initech are other subtrees).
    expect(states(await dashboard.vmStateCounts(h.db, t.callers.reseller))).toEqual({ running: 3, stopped: 1 });
    expect(states(await dashboard.vmStateCounts(h.db, t.callers.reseller2))).toEqual({ running: 2, error: 1 });
    expect(states(await dashboard.vmStateCounts(h.db, t.callers.admin))).toEqual({ running: 5, stopped: 2, error: 1 });
  });

  it("lists a tenant's recent VMs, never another's", async () => {
    const names = (await api(h.db, t.callers.tenant).dashboard.recentInstances()).map((v) => v.name).sort();
    expect(names).toEqual(["acme-vm-1", "acme-vm-2", "acme-vm-3", "acme-vm-4"]);
    const other = (await api(h.db, t.callers.tenant2).dashboard.recentInstances()).map((v) => v.name);
    expect(other.some((n) => n.startsWith("acme"))).toBe(false);
  });

  it("shows the root admin hosts by status, failed jobs of the last hour and open alerts", async () => {
    const health = await api(h.db, t.callers.admin).dashboard.health();
    expect(health.hosts).toEqual({ up: hostCount - 2, disconnected: 0, down: 1, maintenance: 1 });
    expect(health.failedJobsLastHour).toEqual({ count: 1, capped: false });
    expect(health.openAlerts).toEqual({ warning: 1, critical: 1 });
    await expect(api(h.db, t.callers.reseller).dashboard.health()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(api(h.db, t.callers.tenant).dashboard.capacity()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("marks capacity with the alert rules' effective thresholds", async () => {
    await updateAlertRule(h.db, t.callers.admin, { rule: "capacity.memory", enabled: true, warning: 60, critical: 80 });
    const zones = await api(h.db, t.callers.admin).dashboard.capacity();
    expect(zones.length).toBeGreaterThan(0);
    const meters = Object.fromEntries(zones[0]!.meters.map((m) => [m.key, m]));
    expect(Object.keys(meters)).toEqual(["cpu", "memory", "primaryStorage", "secondaryStorage", "publicIps", "vlans"]);
    expect([meters.cpu!.warning, meters.cpu!.critical]).toEqual([75, 90]);
    expect([meters.memory!.warning, meters.memory!.critical]).toEqual([60, 80]);
    expect(meters.vlans!.warning).toBeNull();
    expect(meters.cpu!.total).toBeGreaterThan(0);
    expect(zones[0]!.clusters[0]!.meters.map((m) => m.key)).toEqual(["cpu", "memory"]);
  });

  it("ranks accounts by current allocation within the caller's scope", async () => {
    const all = await api(h.db, t.callers.admin).dashboard.topAccounts();
    expect(all.map((a) => [a.name, a.vcpus, a.instances])).toEqual([
      ["acme-dev", 8, 4],
      ["initech-dev", 6, 3],
      ["globex-ops", 2, 1],
    ]);
    const acme = await api(h.db, t.callers.reseller).dashboard.topAccounts();
    expect(acme.map((a) => a.name)).toEqual(["acme-dev"]);
    const initech = await api(h.db, t.callers.reseller2).dashboard.topAccounts();
    expect(initech.map((a) => a.name)).toEqual(["initech-dev"]);
  });

  it("shows a reseller its subtree's accounts and its domain's limits and use", async () => {
    const s = await api(h.db, t.callers.reseller).dashboard.subtree();
    // acme-admins and acme-dev; domains Acme Cloud and Team A.
    expect(s).toEqual({ accounts: { count: 2, capped: false }, domains: 2 });
    const lim = await api(h.db, t.callers.reseller).dashboard.limits();
    expect(lim.owner).toBe("domain");
    expect(lim.rows.find((r) => r.resourceType === "instances")!.used).toBe(4);
    const lim2 = await api(h.db, t.callers.reseller2).dashboard.limits();
    expect(lim2.rows.find((r) => r.resourceType === "instances")!.used).toBe(3);
    const mine = await api(h.db, t.callers.tenant).dashboard.limits();
    expect(mine.owner).toBe("account");
    expect(mine.rows.find((r) => r.resourceType === "vcpus")!.used).toBe(8);
  });

  it("gives a reseller the Pricing page's revenue and cost figures", async () => {
    const caller = api(h.db, t.callers.reseller);
    const r = await caller.dashboard.revenue();
    const p = await caller.pricing.costRevenue({});
    expect(r.totals).toEqual(p.totals);
    expect(r.domainName).toBe("Acme Cloud");
    await expect(api(h.db, t.callers.tenant).dashboard.revenue()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("forecasts a tenant's month: spend so far + the latest hour's rate × the hours left", async () => {
    const s = await dashboard.spend(h.db, t.callers.tenant, now);
    // From 12:30 on the 10th to 1 December: 11.5 h + 20 days × 24 h.
    expect(s.hoursLeft).toBe(491.5);
    expect(s.lines).toEqual([{ currency: "EUR", spent: 2.5, hourly: 0.5, forecast: 2.5 + 0.5 * 491.5 }]);
    const other = await dashboard.spend(h.db, t.callers.tenant2, now);
    expect(other.lines).toEqual([{ currency: "EUR", spent: 7, hourly: 7, forecast: 7 + 7 * 491.5 }]);
    // Nothing rated in the last three hours: nothing runs, no run-rate.
    const later = await dashboard.spend(h.db, t.callers.tenant, new Date("2026-11-20T00:00:00Z"));
    expect(later.lines).toEqual([{ currency: "EUR", spent: 2.5, hourly: 0, forecast: 2.5 }]);
  });

  it("shows recent events in scope", async () => {
    const mine = await api(h.db, t.callers.tenant2).dashboard.events();
    const all = await api(h.db, t.callers.admin).dashboard.events();
    expect(all.length).toBeGreaterThan(0);
    expect(mine.every((e) => !/acme/i.test(e.description))).toBe(true);
  });
});
