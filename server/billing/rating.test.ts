import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { accounts, charges, computeOfferings, priceLists, tariffs, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { callerFor, seedTenancy } from "@/test/fixtures";
import { createAccount } from "@/server/services/accounts";
import { costRevenue, createPriceList, quote, setMargin, setTariff, updatePriceList } from "./price-lists";
import { rateUsage, rerateRange } from "./rate";
import { handleUsageExport } from "@/server/api/usage-export";
import { api } from "@/test/fixtures";
import { signInAs } from "@/test/sessions";
import { aggregateSettled } from "@/test/usage-facts";

const SECRET = "pricing-test-secret-0123456789abcdef";

/**
 * The rating with known answers: ROOT's wholesale list (own prices), Acme Cloud's retail list at
 * 20 % over it (seeded), Team A's at 10 % over Acme's (three levels), a price change in the middle
 * of the VM's life, re-rating that changes nothing, a late fact, and the reseller report.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let medium: { id: string; cpuCores: number; memoryMib: number };
let wholesaleId: string;
let acmeListId: string;
let teamAccountId: string;

const day = "2027-01-04";
const at = (hhmm: string) => new Date(`${day}T${hhmm}:00Z`);
const before = new Date(`${day}T00:00:00Z`);

async function fact(accountId: string, domainId: string, type: string, resourceId: string, when: Date, offeringId?: string) {
  await h.db.insert(usageEvents).values({
    type,
    accountId,
    domainId,
    resourceId,
    resourceName: `vm-${resourceId.slice(0, 4)}`,
    offeringId: offeringId ?? null,
    occurredAt: when,
    idempotencyKey: randomUUID(),
  });
}

const chargesOf = async (resourceId: string) =>
  (
    await h.db.select().from(charges).where(eq(charges.resourceId, resourceId)).orderBy(asc(charges.usageType), asc(charges.periodStart))
  ).map((c) => ({
    type: c.usageType,
    period: c.periodStart.toISOString().slice(11, 16),
    amount: c.amount,
    currency: c.currency,
    priced: c.tariffId !== null,
  }));

const allCharges = async () =>
  JSON.stringify(
    (await h.db.select().from(charges).orderBy(asc(charges.resourceId), asc(charges.usageType), asc(charges.periodStart))).map((c) => ({
      ...c,
      ratedAt: undefined,
    })),
  );

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET = SECRET;
  h = await openTestDb();
  t = await seedTenancy(h.db);
  medium = (await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Medium")))[0]!;
  // The seeded demo tariffs would add up with this test's: start from a bare wholesale list.
  const lists = await h.db.select().from(priceLists).where(isNull(priceLists.effectiveUntil));
  wholesaleId = lists.find((l) => l.domainId === t.domains.root.id)!.id;
  acmeListId = lists.find((l) => l.domainId === t.domains.acme.id)!.id;
  await h.db.delete(tariffs).where(eq(tariffs.priceListId, wholesaleId));
  const { admin, reseller } = t.callers;
  // RUNNING_VM 0.10 per hour, then 0.16 from 12:00 (decided at 11:20, the change in the middle of the VM's run).
  await setTariff(h.db, admin, { priceListId: wholesaleId, usageType: 1, basis: "hour", unitPrice: "0.10", effectiveFrom: before }, before);
  await setTariff(
    h.db,
    admin,
    { priceListId: wholesaleId, usageType: 1, basis: "hour", unitPrice: "0.16", effectiveFrom: at("12:00") },
    at("11:20"),
  );
  // Medium alone: also per vCPU-hour and GiB-RAM-hour (the offering's tariffs win over the type's).
  await setTariff(
    h.db,
    admin,
    { priceListId: wholesaleId, usageType: 2, basis: "vcpu_hour", unitPrice: "0.01", effectiveFrom: before },
    before,
  );
  await setTariff(
    h.db,
    admin,
    { priceListId: wholesaleId, usageType: 2, offeringId: medium.id, basis: "gib_ram_hour", unitPrice: "0.003", effectiveFrom: before },
    before,
  );
  // Acme lets its sub-domains have lists; Team A's sub-reseller sets 10 % over Acme's.
  await updatePriceList(h.db, reseller, { id: acmeListId, allowSubLists: true });
  await createAccount(h.db, reseller, {
    domainId: t.domains.teamA.id,
    name: "team-a-admins",
    type: "domain_admin",
    username: "subreseller",
    password: "password-subreseller",
  });
  const team = await createAccount(h.db, reseller, {
    domainId: t.domains.teamA.id,
    name: "team-a-dev",
    type: "user",
    username: "teamdev",
    password: "password-teamdev",
  });
  teamAccountId = (await h.db.select().from(accounts).where(eq(accounts.name, "team-a-dev")))[0]!.id;
  expect(team).toBeTruthy();
  const sub = await callerFor(h.db, "subreseller");
  await createPriceList(
    h.db,
    sub,
    { domainId: t.domains.teamA.id, name: "Team A", mode: "margin", marginPercent: "10", allowSubLists: false, effectiveFrom: before },
    before,
  );
}, 600_000);
afterAll(() => h.close());

describe(`rating on ${testDbKind()}`, () => {
  const vmA = randomUUID();
  const vmB = randomUUID();

  it("prices each hour at the tariff in force then, through two margins, exactly", async () => {
    // acme-dev (Acme list, ×1.2) runs vmA 10:30–13:30; team-a-dev (Team A list, ×1.2×1.1) runs vmB 10:00–12:00.
    await fact(t.tenantAccount.id, t.domains.acme.id, "VM.CREATE", vmA, at("10:30"), medium.id);
    await fact(t.tenantAccount.id, t.domains.acme.id, "VM.START", vmA, at("10:30"), medium.id);
    await fact(t.tenantAccount.id, t.domains.acme.id, "VM.STOP", vmA, at("13:30"), medium.id);
    await fact(teamAccountId, t.domains.teamA.id, "VM.START", vmB, at("10:00"), medium.id);
    await fact(teamAccountId, t.domains.teamA.id, "VM.STOP", vmB, at("12:00"), medium.id);
    await aggregateSettled(h.db, { now: at("15:00") });
    await rateUsage(h.db);
    const a = await chargesOf(vmA);
    // RUNNING_VM: ½ h × 0.10 × 1.2, 1 h × 0.10 × 1.2, then 0.16 × 1.2 from 12:00.
    expect(a.filter((c) => c.type === 1)).toEqual([
      { type: 1, period: "10:00", amount: "0.060000000", currency: "EUR", priced: true },
      { type: 1, period: "11:00", amount: "0.120000000", currency: "EUR", priced: true },
      { type: 1, period: "12:00", amount: "0.192000000", currency: "EUR", priced: true },
      { type: 1, period: "13:00", amount: "0.096000000", currency: "EUR", priced: true },
    ]);
    // ALLOCATED_VM of Medium (until 15:00: never destroyed): its offering's own tariff wins over the type's per-vCPU one,
    // 4 GiB × 0.003 = 0.012 per hour, × 1.2.
    expect(a.filter((c) => c.type === 2).map((c) => c.amount)).toEqual([
      "0.007200000",
      "0.014400000",
      "0.014400000",
      "0.014400000",
      "0.014400000",
    ]);
    // Team A: 0.10 × 1.2 × 1.1 per hour (three lists deep).
    expect((await chargesOf(vmB)).map((c) => c.amount)).toEqual(["0.132000000", "0.132000000"]);
  });

  it("re-rating, by the job or by range, changes nothing", async () => {
    const first = await allCharges();
    expect(await rateUsage(h.db)).toEqual({ charges: 0, resources: 0 });
    await rerateRange(h.db, { from: at("00:00"), until: at("23:00") });
    await rerateRange(h.db, { from: at("00:00"), until: at("23:00") });
    expect(await allCharges()).toBe(first);
  });

  it("a late fact re-rates its resource, and charges of records that went go too", async () => {
    // vmA's stop at 11:00 arrives late: the 11:00–13:30 hours are gone from records and charges.
    await fact(t.tenantAccount.id, t.domains.acme.id, "VM.STOP", vmA, at("11:00"), medium.id);
    await aggregateSettled(h.db, { now: at("16:00") });
    await rateUsage(h.db);
    expect((await chargesOf(vmA)).filter((c) => c.type === 1).map((c) => [c.period, c.amount])).toEqual([["10:00", "0.060000000"]]);
  });

  it("charges match the records one to one, and their totals the raw usage priced by hand", async () => {
    const [r] = rowsOf<{ records: number; charges: number; unmatched: number }>(
      await h.db.execute(sql`select (select count(*)::int from usage_records) as records, (select count(*)::int from charges) as charges,
        (select count(*)::int from usage_records r where not exists (select 1 from charges c where c.account_id = r.account_id
          and c.usage_type = r.usage_type and c.resource_id = r.resource_id and c.period_start = r.period_start and c.dimensions_key = r.dimensions_key)) as unmatched`),
    );
    expect(r).toEqual({ records: r!.charges, charges: r!.charges, unmatched: 0 });
    // Team A: 2 h of RUNNING_VM, 0.10 × 1.2 × 1.1 each = 0.264, and no allocation (no VM.CREATE).
    const [s] = rowsOf<{ total: string }>(
      await h.db.execute(sql`select sum(amount)::text as total from charges where account_id = ${teamAccountId}::uuid`),
    );
    expect(s!.total).toBe("0.264000000");
  });

  it("shows a reseller its revenue beside its cost", async () => {
    const range = { from: at("00:00"), to: at("23:00") };
    // Team A (sub-reseller): revenue at its list (×1.32), cost at Acme's (×1.2).
    const team = await costRevenue(h.db, await callerFor(h.db, "subreseller"), range);
    expect(team.totals).toEqual([{ currency: "EUR", revenue: "0.264", cost: "0.24" }]);
    // Acme: its whole subtree at its list (revenue; Team A pays it at Acme's prices) and at wholesale (cost).
    const acme = await costRevenue(h.db, t.callers.reseller, range);
    // vmA: 0.06 running + 0.0072 + 5 × 0.0144 allocated (to 16:00) at Acme's; vmB: 0.24 at Acme's. Cost: the same ÷ 1.2.
    expect(acme.totals).toEqual([{ currency: "EUR", revenue: "0.3792", cost: "0.316" }]);
    // Revenue from its own accounts equals what they are charged.
    const [c] = rowsOf<{ total: string }>(
      await h.db.execute(sql`select trim_scale(sum(amount))::text as total from charges where account_id = ${t.tenantAccount.id}::uuid`),
    );
    expect(c!.total).toBe("0.1392");
  });

  it("the usage report and its CSV show the same amounts as the charges", async () => {
    const range = { from: at("00:00"), to: at("23:00") };
    const s = await api(h.db, t.callers.tenant).usage.summary(range);
    expect(s.amountTotals).toEqual([{ currency: "EUR", amount: "0.1392" }]);
    const page = await api(h.db, t.callers.tenant).usage.records({ ...range, pageSize: 100 });
    expect(page.items.find((r) => r.usageType === 1)).toMatchObject({ amount: "0.060000000", currency: "EUR" });
    const res = await handleUsageExport(
      new Request(`http://portal.test/api/usage/export?format=csv&from=${range.from.toISOString()}&to=${range.to.toISOString()}`, {
        headers: { cookie: (await signInAs(h.db, t.callers.tenant, SECRET)).cookie },
      }),
      h.db,
    );
    const [header, ...lines] = (await res.text()).trimEnd().split("\r\n");
    const cols = header!.split(",");
    expect(cols.slice(-2)).toEqual(["amount", "currency"]);
    const amounts = lines.map((l) => l.split(",").at(-2)!);
    expect(lines.every((l) => l.endsWith(",EUR"))).toBe(true);
    // Summed exactly (in nanos as integers): equals the report's total.
    expect(amounts.reduce((a, x) => a + BigInt(x.replace(".", "")), 0n)).toBe(139_200_000n);
  });

  it("a sub-domain's list needs the list above to allow it; margins and prices change only from now on", async () => {
    await updatePriceList(h.db, t.callers.reseller, { id: acmeListId, allowSubLists: false });
    const sub = await callerFor(h.db, "subreseller");
    const [teamList] = await h.db
      .select()
      .from(priceLists)
      .where(and(eq(priceLists.domainId, t.domains.teamA.id), isNull(priceLists.effectiveUntil)));
    await expect(setMargin(h.db, sub, { id: teamList!.id, marginPercent: "5" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      setTariff(
        h.db,
        t.callers.admin,
        { priceListId: wholesaleId, usageType: 1, basis: "hour", unitPrice: "1", effectiveFrom: at("10:00") },
        at("11:20"),
      ),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "effectiveFrom" });
    await expect(
      setTariff(h.db, t.callers.reseller, { priceListId: acmeListId, usageType: 1, basis: "hour", unitPrice: "1" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("quotes the deploy wizard's choice at the caller's own list", async () => {
    const q = await quote(h.db, t.callers.tenant, { offeringId: medium.id, rootDiskGib: 10 }, at("13:00"));
    // 0.16 running + 0.012 allocated (Medium's own), × 1.2; no volume tariff.
    expect(q).toMatchObject({ currency: "EUR", hourly: "0.2064", monthly: "150.672", hoursPerMonth: 730 });
  });
});
