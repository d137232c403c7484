import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db";
import { charges, events, instances, jobs, usageRecords, webhookDeliveries } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { webhookReceiver } from "@/test/webhook-receiver";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { balanceOf, balances } from "./balance";
import { evaluateAccount, evaluateBalances, standingOf } from "./low-balance";
import { statementCsv } from "@/server/api/statement-export";
import { statementCsvColumns } from "@/lib/validation/billing";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from "@/server/webhooks/sign";

/**
 * Credits, balances, statements and the low-balance policy, end to end through the router, with a
 * real local HTTP receiver for the webhooks and simulator hosts for the VMs the policy stops.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
const saved = { ...process.env };

/** A priced line for one hour of usage (what the rating writes), with its usage record. */
async function charge(db: Db, accountId: string, amount: string, periodStart: Date, usageType = 1, quantity = "1") {
  const key = { accountId, usageType, resourceId: randomUUID(), periodStart, dimensionsKey: randomUUID() };
  await db.insert(usageRecords).values({
    ...key,
    domainId: t.domains.acme.id,
    domainPath: t.domains.acme.path,
    typeName: usageType === 1 ? "RUNNING_VM" : "VOLUME",
    dimensions: {},
    periodEnd: new Date(periodStart.getTime() + 3_600_000),
    seconds: "3600",
    size: "1",
    unit: usageType === 1 ? "hours" : "GiB-hours",
    quantity,
  });
  await db.insert(charges).values({
    ...key,
    domainId: t.domains.acme.id,
    domainPath: t.domains.acme.path,
    priceListId: randomUUID(),
    currency: "EUR",
    amount,
  });
}

/** Waits for the account's billing.balance-stop job and the vm.stop job it gave this VM, both succeeded. */
async function policyStopped(accountId: string, vmId: string) {
  const [stopJob] = await h.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.type, "billing.balance-stop"), eq(jobs.accountId, accountId)));
  expect((await waitForJob(h.db, stopJob!.id)).status).toBe("succeeded");
  const [stopped] = await h.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.resourceId, vmId), eq(jobs.type, "vm.stop")));
  expect((await waitForJob(h.db, stopped!.id)).status).toBe("succeeded");
}

beforeAll(async () => {
  process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = "127.0.0.1";
  process.env.STRATUS_WEBHOOK_RETRY_BASE_MS = "50";
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(async () => {
  process.env = saved;
  await h.close();
});

describe(`credits and balances (${testDbKind()})`, () => {
  it("balance = credits − charges, exact to the ninth decimal, per currency", async () => {
    const admin = api(h.db, t.callers.admin);
    const acc = t.callers.globex.accountId;
    await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "eur", amount: "0.1", reason: "voucher A" });
    await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "0.2", reason: "voucher B" });
    await admin.billing.addCredit({ accountId: acc, kind: "adjustment", currency: "EUR", amount: "-0.000000001", reason: "rounding" });
    await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "USD", amount: "1000000000000.5", reason: "big" });
    const [b] = await balances(h.db, { accountIds: [acc] });
    expect(b).toMatchObject({ currency: "EUR", balance: "0.299999999", credits: "0.299999999", charges: "0" });
    expect(await balanceOf(h.db, acc, "USD")).toBe("1000000000000.5");
    // A credit must be positive, an amount exact and non-zero.
    await expect(
      admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "-5", reason: "oops" }),
    ).rejects.toThrow(/positive/);
    await expect(
      admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "1e3", reason: "float" }),
    ).rejects.toThrow(/amount/i);
    await expect(
      admin.billing.addCredit({ accountId: acc, kind: "adjustment", currency: "EUR", amount: "0.00", reason: "zero" }),
    ).rejects.toThrow(/zero/);
  });

  it("a reseller credits accounts of its subtree, never its own; a tenant credits nothing", async () => {
    const reseller = api(h.db, t.callers.reseller);
    await reseller.billing.addCredit({ accountId: t.tenantAccount.id, kind: "credit", currency: "EUR", amount: "10", reason: "welcome" });
    await expect(
      reseller.billing.addCredit({
        accountId: t.callers.reseller.accountId,
        kind: "credit",
        currency: "EUR",
        amount: "10",
        reason: "self",
      }),
    ).rejects.toThrow(/own account/);
    await expect(
      reseller.billing.addCredit({
        accountId: t.callers.globex.accountId,
        kind: "credit",
        currency: "EUR",
        amount: "10",
        reason: "sneaky",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      api(h.db, t.callers.tenant).billing.addCredit({
        accountId: t.tenantAccount.id,
        kind: "credit",
        currency: "EUR",
        amount: "10",
        reason: "me",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const history = await api(h.db, t.callers.tenant).billing.credits();
    expect(history.map((c) => [c.amount, c.reason, c.createdByName])).toEqual([["10.000000000", "welcome", "reseller"]]);
  });

  it("a statement's charges by type equal the charges, and closing = opening − charged + credited", async () => {
    const acc = t.callers.globex.accountId;
    await charge(h.db, acc, "0.123456789", new Date("2026-10-31T23:00:00Z"), 1, "1");
    await charge(h.db, acc, "1.000000001", new Date("2026-11-01T00:00:00Z"), 1, "1");
    await charge(h.db, acc, "2.5", new Date("2026-11-01T01:00:00Z"), 1, "1");
    await charge(h.db, acc, "0.333333333", new Date("2026-11-02T00:00:00Z"), 6, "20.5");
    const s = await api(h.db, t.callers.globex).billing.statement({ month: "2026-11" });
    const eur = s.currencies.find((c) => c.currency === "EUR")!;
    expect(eur.byType.map((x) => [x.usageType, x.quantity, x.amount])).toEqual([
      [1, "2", "3.500000001"],
      [6, "20.5", "0.333333333"],
    ]);
    expect(eur.charged).toBe("3.833333334");
    // Credits were entered this month (now), after November if the clock is past it: only those inside count.
    const oct = await api(h.db, t.callers.globex).billing.statement({ month: "2026-10" });
    expect(oct.currencies.find((c) => c.currency === "EUR")!.byType.map((x) => x.amount)).toEqual(["0.123456789"]);
    const sum = await h.db.execute(
      `select trim_scale(${eur.opening}::numeric - ${eur.charged}::numeric + ${eur.credited}::numeric)::text as v` as never,
    );
    const v = ((sum as { rows?: { v: string }[] }).rows ?? (sum as { v: string }[]))[0]!.v;
    expect(v).toBe(eur.closing);
    // The CSV: stable header, exact amounts, charges negative, and its lines sum to the closing balance.
    const csv = statementCsv(s).trim().split("\r\n");
    expect(csv[0]).toBe(statementCsvColumns.join(","));
    const eurLines = csv.slice(1).filter((l) => l.split(",")[11] === "EUR" && !/,(credit|adjustment),/.test(l));
    expect(eurLines.map((l) => l.split(",")[4])).toEqual(["opening_balance", "charge", "charge", "closing_balance"]);
    expect(eurLines[1]!.split(",").slice(6, 13)).toEqual(["1", "RUNNING_VM", "2", "hours", "", "EUR", "-3.500000001"]);
    // Another tenant's statement is NOT_FOUND.
    await expect(api(h.db, t.callers.tenant).billing.statement({ accountId: acc })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe(`low-balance policy (${testDbKind()})`, () => {
  it("crossing notifies once (event + signed webhook, retried after a 500), refuses deploys, stops VMs after the grace", async () => {
    const rx = await webhookReceiver(1);
    const workers = testWorkers(h, "billing-worker");
    try {
      const admin = api(h.db, t.callers.admin);
      const tenant = api(h.db, t.callers.tenant);
      const acc = t.tenantAccount.id;
      const hook = await api(h.db, t.callers.reseller).webhook.create({
        domainId: t.domains.acme.id,
        name: "billing-alerts",
        url: rx.url,
        eventTypes: ["BILLING.LOWBALANCE"],
      });
      expect(hook.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      expect(JSON.stringify(await api(h.db, t.callers.reseller).webhook.list())).not.toContain(hook.secret);
      // A running VM of the tenant (balance 10 EUR so far, no policy yet).
      const choices = await deployChoicesByName(h.db);
      const [vm] = await tenant.instance.deploy({ ...choices, name: "billed-1" });
      expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");

      await admin.billing.setPolicy({
        domainId: t.domains.acme.id,
        currency: "EUR",
        notifyBelow: "5",
        refuseBelow: "2",
        stopBelow: "0",
        stopGraceMinutes: 1,
      });
      expect((await standingOf(h.db, acc))!.belowNotify).toBe(false);
      // Thresholds must nest.
      await expect(
        admin.billing.setPolicy({ domainId: t.domains.teamA.id, currency: "EUR", notifyBelow: "1", refuseBelow: "2" }),
      ).rejects.toThrow(/Refuse-below/);

      // 10 − 9.5 = 0.5: below notify and refuse, not below stop.
      await charge(h.db, acc, "9.5", new Date("2026-11-03T00:00:00Z"));
      await evaluateBalances(h.db);
      await evaluateBalances(h.db);
      const low = await h.db
        .select()
        .from(events)
        .where(and(eq(events.type, "BILLING.LOWBALANCE"), eq(events.accountId, acc)));
      expect(low.length).toBe(1);
      // The reseller's own account (same domain, no credit) crossed too; this test follows the tenant's.
      const deliveries = await h.db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.subscriptionId, hook.id), eq(webhookDeliveries.accountId, acc)));
      expect(deliveries.length).toBe(1);
      const [deliveryJob] = await h.db.select().from(jobs).where(eq(jobs.resourceId, deliveries[0]!.id));
      expect((await waitForJob(h.db, deliveryJob!.id)).status).toBe("succeeded");
      const [done] = await h.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveries[0]!.id));
      expect(done).toMatchObject({ status: "succeeded", attempts: 2, responseCode: 200 });
      const mine = rx.got.filter((g) => g.headers["x-stratus-delivery"] === deliveries[0]!.id);
      expect(mine.map((g) => g.status)).toEqual([500, 200]);
      for (const g of mine) {
        expect(
          verifyWebhook(
            hook.secret,
            { signature: g.headers[SIGNATURE_HEADER] as string, timestamp: g.headers[TIMESTAMP_HEADER] as string },
            g.body,
          ),
        ).toBe(true);
        expect(
          verifyWebhook(
            "whsec_wrong",
            { signature: g.headers[SIGNATURE_HEADER] as string, timestamp: g.headers[TIMESTAMP_HEADER] as string },
            g.body,
          ),
        ).toBe(false);
      }
      // A replay an hour later is refused by the timestamp.
      const g = mine[1]!;
      expect(
        verifyWebhook(
          hook.secret,
          { signature: g.headers[SIGNATURE_HEADER] as string, timestamp: g.headers[TIMESTAMP_HEADER] as string },
          g.body,
          Date.now() + 3_600_000,
        ),
      ).toBe(false);
      expect(JSON.parse(g.body)).toMatchObject({ event: "BILLING.LOWBALANCE", data: { accountId: acc, balance: "0.5", currency: "EUR" } });
      // The delivery log is the reseller's and not another reseller's.
      expect((await api(h.db, t.callers.reseller).webhook.deliveries({ subscriptionId: hook.id }))[0]).toMatchObject({
        status: "succeeded",
      });
      await expect(api(h.db, t.callers.reseller2).webhook.deliveries({ subscriptionId: hook.id })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });

      // Deploys are refused in the deploy service, naming the reason.
      await expect(tenant.instance.deploy({ ...choices, name: "billed-2" })).rejects.toThrow(
        /New deployments are refused because the balance of account acme-dev is 0.5 EUR, below 2 EUR/,
      );
      const overview = await tenant.billing.overview();
      expect(overview.standing).toMatchObject({ belowNotify: true, belowRefuse: true, belowStop: false, stopDueAt: null });

      // Below the stop threshold: the stop is scheduled a grace period ahead (evaluated "61 s ago" so it is due now).
      await charge(h.db, acc, "1", new Date("2026-11-03T01:00:00Z"));
      await evaluateAccount(h.db, acc, new Date(Date.now() - 61_000));
      const s = await standingOf(h.db, acc);
      expect(s!.belowStop).toBe(true);
      expect(s!.stopDueAt!.getTime()).toBeLessThanOrEqual(Date.now());
      await policyStopped(acc, vm!.id);
      const [row] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
      expect(row!.state).toBe("stopped");
      expect((await h.db.select().from(events).where(eq(events.type, "BILLING.VMSSTOPPED"))).length).toBe(1);
      // The tenant cannot undo the stop by starting the VM again; the root admin (the operator) can.
      await expect(tenant.instance.start({ id: vm!.id })).rejects.toThrow(
        /Starting VMs are refused because the balance of account acme-dev is -0.5 EUR, below 2 EUR/,
      );
      const started = await admin.instance.start({ id: vm!.id });
      expect((await waitForJob(h.db, started.jobId)).status).toBe("succeeded");

      // A credit lifts everything at once: deploys work again.
      await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "20", reason: "paid invoice 42" });
      const after = await standingOf(h.db, acc);
      expect(after).toMatchObject({ balance: "19.5", belowNotify: false, belowRefuse: false, belowStop: false, stopDueAt: null });
      const [again] = await tenant.instance.deploy({ ...choices, name: "billed-2" });
      expect((await waitForJob(h.db, again!.jobId)).status).toBe("succeeded");
      expect((await h.db.select().from(events).where(eq(events.type, "BILLING.BALANCEOK"))).length).toBe(1);
    } finally {
      await workers.stop();
      await rx.close();
    }
  }, 60_000);

  it("with a stop limit and no refusal limit, the VMs the policy stopped cannot be started again (nor new ones deployed) until credit comes", async () => {
    const workers = testWorkers(h, "billing-worker-2");
    try {
      const admin = api(h.db, t.callers.admin);
      const tenant2 = api(h.db, t.callers.tenant2);
      const acc = t.callers.tenant2.accountId;
      const choices = await deployChoicesByName(h.db);
      const [vm] = await tenant2.instance.deploy({ ...choices, name: "stop-only-1" });
      expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
      await admin.billing.setPolicy({ domainId: t.domains.initech.id, currency: "EUR", stopBelow: "0", stopGraceMinutes: 1 });
      await charge(h.db, acc, "1", new Date("2026-11-04T00:00:00Z"));
      // Below the stop limit, evaluated "61 s ago": the stop is due now.
      await evaluateAccount(h.db, acc, new Date(Date.now() - 61_000));
      await policyStopped(acc, vm!.id);
      const why =
        /are refused because the VMs of account initech-dev were stopped for its balance of -1 EUR, below 0 EUR, the stop limit of domain Initech/;
      await expect(tenant2.instance.start({ id: vm!.id })).rejects.toThrow(new RegExp(`Starting VMs ${why.source}`));
      await expect(tenant2.instance.deploy({ ...choices, name: "stop-only-2" })).rejects.toThrow(
        new RegExp(`New deployments ${why.source}`),
      );
      // Credit back above the limit: the VM starts again.
      await admin.billing.addCredit({ accountId: acc, kind: "credit", currency: "EUR", amount: "5", reason: "paid" });
      await evaluateAccount(h.db, acc);
      const started = await tenant2.instance.start({ id: vm!.id });
      expect((await waitForJob(h.db, started.jobId)).status).toBe("succeeded");
    } finally {
      await workers.stop();
    }
  }, 60_000);
});
