import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { alerts, hosts, instances } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { standings } from "@/server/billing/low-balance";
import { openChangeStream } from "@/server/live/stream";
import { startOrchestrator } from "@/server/orchestrator";
import { serviceHooks, serviceJobs } from "@/server/services/background";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, injectFault, waitFor, waitForJob } from "@/test/orchestrator";
import { evaluateAlerts } from "./evaluate";
import { debounced } from "./trigger";

/**
 * The low-balance alert rule (from billing's standings(), never a copy of its rule), and alerts
 * evaluated at once when the reconciler sees a host change state: with no alert schedule at all,
 * a simulated host failure opens its alerts within seconds and the tenant's stream hears of it.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(async () => {
  await h.close();
});

const open = async (c: Caller, rule: string) =>
  (await api(h.db, c).alert.list({ state: "open" })).items.filter((a) => a.rule === rule).map((a) => `${a.subjectName} ${a.severity}`);

describe(`low-balance alert (${testDbKind()})`, () => {
  it("opens when an account's standing crosses its domain's threshold, escalates below refusal, resolves above", async () => {
    const admin = api(h.db, t.callers.admin);
    const acc = t.tenantAccount.id;
    await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "10", reason: "welcome" });
    await admin.billing.setPolicy({ domainId: t.domains.acme.id, currency: "EUR", notifyBelow: "5", refuseBelow: "2" });
    await evaluateAlerts(h.db);
    // The reseller's own account (in Acme, no credit) is below refusal; the tenant (10 EUR) is not.
    const resellerAccount = t.callers.reseller.accountName;
    expect(await open(t.callers.reseller, "billing.low_balance")).toEqual([`${resellerAccount} critical`]);
    expect(await open(t.callers.tenant, "billing.low_balance")).toEqual([]);

    await admin.billing.addCredit({ accountId: acc, kind: "adjustment", currency: "EUR", amount: "-7", reason: "usage" });
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 1 });
    expect(await open(t.callers.tenant, "billing.low_balance")).toEqual(["acme-dev warning"]);
    expect((await api(h.db, t.callers.tenant).alert.list({ state: "open" })).items[0]!.title).toContain("3 EUR");
    expect((await open(t.callers.reseller, "billing.low_balance")).sort()).toEqual(
      [`${resellerAccount} critical`, "acme-dev warning"].sort(),
    );
    expect((await open(t.callers.admin, "billing.low_balance")).length).toBe(2);
    for (const c of [t.callers.globex, t.callers.reseller2, t.callers.tenant2]) expect(await open(c, "billing.low_balance")).toEqual([]);
    // The same accounts as billing's own rule says, no more.
    const below = (await standings(h.db)).filter((s) => s.belowNotify || s.belowRefuse || s.belowStop).map((s) => s.accountId);
    const alerted = (
      await h.db
        .select()
        .from(alerts)
        .where(and(eq(alerts.rule, "billing.low_balance"), eq(alerts.state, "open")))
    ).map((a) => a.accountId);
    expect(alerted.sort()).toEqual(below.sort());

    await admin.billing.addCredit({ accountId: acc, kind: "adjustment", currency: "EUR", amount: "-2", reason: "usage" });
    expect(await evaluateAlerts(h.db)).toMatchObject({ opened: 0, changed: 1 });
    expect(await open(t.callers.tenant, "billing.low_balance")).toEqual(["acme-dev critical"]);

    await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "20", reason: "paid" });
    expect(await evaluateAlerts(h.db)).toMatchObject({ resolved: 1 });
    expect(await open(t.callers.tenant, "billing.low_balance")).toEqual([]);
    // Without a policy nothing is low: the reseller's alert resolves too.
    await admin.billing.removePolicy({ domainId: t.domains.acme.id });
    await evaluateAlerts(h.db);
    expect(await open(t.callers.admin, "billing.low_balance")).toEqual([]);
  });
});

describe(`prompt alert evaluation (${testDbKind()})`, () => {
  it("folds a burst of requests into one run now and one after the gap", async () => {
    let runs = 0;
    const request = debounced(
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
      },
      300,
      () => undefined,
    );
    request();
    await waitFor("the first run", () => runs === 1);
    for (let i = 0; i < 10; i++) request();
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toBe(1);
    await waitFor("the folded run", () => runs === 2, 2000);
    await new Promise((r) => setTimeout(r, 500));
    expect(runs).toBe(2);
  });

  it("a host going Down opens its alerts within seconds, without the alert schedule", async () => {
    const orchestrator = startOrchestrator(h, { jobs: serviceJobs, schedules: [], reconcileIntervalMs: 300, ...serviceHooks });
    try {
      const [vm] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "prompt-vm", count: 1 });
      await waitForJob(h.db, vm!.jobId);
      const [row] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
      const stream = await openChangeStream({ handle: h, caller: t.callers.tenant });
      const reader = stream.getReader();
      let text = "";
      void (async () => {
        for (;;) {
          const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (r.done) return;
          text += new TextDecoder().decode(r.value);
        }
      })();
      // The host stops answering: Disconnected at the next cycle, and its warning opens at once.
      await injectFault(h.db, { operation: "list", hostId: row!.hostId!, message: "power cut" });
      const hostAlert = async () => open(t.callers.admin, "host.unreachable");
      await waitFor("the Disconnected warning", async () => (await hostAlert()).some((a) => a.endsWith(" warning")), 10_000);
      // Silent long enough: Down at the next cycle, its VMs Unknown, the alerts critical.
      await h.db
        .update(hosts)
        .set({ lastSeenAt: new Date(Date.now() - 10 * 60_000) })
        .where(eq(hosts.id, row!.hostId!));
      await waitFor("the VM's alert", async () => (await open(t.callers.tenant, "vm.host_failure")).length > 0, 10_000);
      const opened = await waitFor(
        "the host alert critical",
        async () => (await hostAlert()).some((a) => a.endsWith(" critical")) && hostAlert(),
        10_000,
      );
      expect(opened).toEqual([expect.stringMatching(/ critical$/)]);
      const [alert] = await h.db.select().from(alerts).where(eq(alerts.rule, "vm.host_failure"));
      await waitFor("the tenant's stream hears of the alert", () => text.includes(`"kind":"alert","id":"${alert!.id}"`), 5000);
      await reader.cancel();
    } finally {
      await orchestrator.stop();
    }
  });
});
