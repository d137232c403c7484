import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { charges, computeOfferings, priceLists, tariffs, usageEvents, usageRecords } from "@/db/schema";
import { effectiveHour, setTariff } from "@/server/billing/price-lists";
import { rateUsage } from "@/server/billing/rate";
import { env } from "@/server/env";
import { spend } from "@/server/services/dashboard";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { aggregateSettled } from "@/test/usage-facts";

/**
 * Usage periods other than an hour (STRATUS_USAGE_PERIOD_MINUTES), with known answers: a VM
 * running 90 minutes at 2 vCPU in 15-minute periods and in a daily one, rated at one price per
 * vCPU-hour (quantities stay in hours, so the tariff is the same whatever the period); a run
 * repeated changes nothing; a change of the length remakes the watermark's day from the facts,
 * and a late fact then replaces records (and charges) cut in the old length.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let medium: { id: string; cpuCores: number };

const at = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00Z`);
const D1 = "2027-02-10";
const D2 = "2027-02-12";

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  medium = (await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Medium")))[0]!;
  expect(medium.cpuCores).toBe(2);
  // One price: 0.05 per vCPU-hour running at ROOT's wholesale list (the seeded demo tariffs go).
  const [wholesale] = await h.db
    .select()
    .from(priceLists)
    .where(and(isNull(priceLists.effectiveUntil), eq(priceLists.domainId, t.domains.root.id)));
  await h.db.delete(tariffs).where(eq(tariffs.priceListId, wholesale!.id));
  const since = new Date("2027-02-01T00:00:00Z");
  await setTariff(
    h.db,
    t.callers.admin,
    { priceListId: wholesale!.id, usageType: 1, basis: "vcpu_hour", unitPrice: "0.05", effectiveFrom: since },
    since,
  );
});
afterAll(() => h.close());

async function fact(type: string, resourceId: string, when: Date) {
  await h.db.insert(usageEvents).values({
    type,
    accountId: t.tenantAccount.id,
    domainId: t.tenantAccount.domainId,
    resourceId,
    resourceName: `vm-${resourceId.slice(0, 4)}`,
    offeringId: medium.id,
    occurredAt: when,
    idempotencyKey: randomUUID(),
  });
}

/** A VM created and started at `day` 10:00, stopped and destroyed at 11:30. */
async function ninetyMinutes(day: string) {
  const vm = randomUUID();
  await fact("VM.CREATE", vm, at(day, "10:00"));
  await fact("VM.START", vm, at(day, "10:00"));
  await fact("VM.STOP", vm, at(day, "11:30"));
  await fact("VM.DESTROY", vm, at(day, "11:30"));
  return vm;
}

const running = async (vm: string) =>
  (
    await h.db
      .select()
      .from(usageRecords)
      .where(and(eq(usageRecords.resourceId, vm), eq(usageRecords.usageType, 1)))
      .orderBy(asc(usageRecords.periodStart))
  ).map((r) => [r.periodStart.toISOString(), r.periodEnd.toISOString(), r.seconds, r.quantity, r.unit]);

const charged = async (vm: string) =>
  (
    await h.db
      .select()
      .from(charges)
      .where(and(eq(charges.resourceId, vm), eq(charges.usageType, 1)))
      .orderBy(asc(charges.periodStart))
  ).map((c) => [c.periodStart.toISOString(), c.amount]);

const everything = async () => ({
  records: (
    await h.db.select().from(usageRecords).orderBy(asc(usageRecords.resourceId), asc(usageRecords.periodStart), asc(usageRecords.usageType))
  ).map(({ aggregatedAt: _, ...r }) => r),
  charges: (await h.db.select().from(charges).orderBy(asc(charges.resourceId), asc(charges.periodStart), asc(charges.usageType))).map(
    ({ ratedAt: _, ...c }) => c,
  ),
});

const iso = (day: string, hhmm: string) => at(day, hhmm).toISOString();

/** Runs `f` with STRATUS_USAGE_PERIOD_MINUTES set, then puts it back. */
async function withPeriod<T>(minutes: string, f: () => Promise<T> | T): Promise<T> {
  const saved = process.env.STRATUS_USAGE_PERIOD_MINUTES;
  process.env.STRATUS_USAGE_PERIOD_MINUTES = minutes;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.STRATUS_USAGE_PERIOD_MINUTES;
    else process.env.STRATUS_USAGE_PERIOD_MINUTES = saved;
  }
}

describe(`usage periods other than an hour (${testDbKind()})`, () => {
  let vm1: string;

  it("15-minute periods: exactly six records of 0.25 h, each charged 0.25 h × 2 vCPU × 0.05 × 1.2 (Acme's margin)", async () => {
    vm1 = await ninetyMinutes(D1);
    const r = await aggregateSettled(h.db, { now: at(D1, "12:07"), periodMinutes: 15 });
    expect(r.until.toISOString()).toBe(iso(D1, "12:00"));
    expect(await running(vm1)).toEqual(
      ["10:00", "10:15", "10:30", "10:45", "11:00", "11:15"].map((s, i, a) => [
        iso(D1, s),
        i + 1 < a.length ? iso(D1, a[i + 1]!) : iso(D1, "11:30"),
        "900",
        "0.250000000",
        "hours",
      ]),
    );
    await rateUsage(h.db);
    expect(await charged(vm1)).toEqual(["10:00", "10:15", "10:30", "10:45", "11:00", "11:15"].map((s) => [iso(D1, s), "0.030000000"]));
    // The dashboard's run-rate is per hour: the latest rated quarter's 0.03, four times.
    const s = await withPeriod("15", () => spend(h.db, t.callers.tenant, at(D1, "11:50")));
    expect(s.lines.map((l) => [l.currency, l.spent, Math.round(l.hourly * 1e9) / 1e9])).toEqual([["EUR", 0.18, 0.12]]);
  });

  it("prices change from the current period when periods are shorter than an hour, never before it", async () => {
    const now = at(D1, "10:20");
    await withPeriod("15", () => {
      expect(effectiveHour(undefined, now).toISOString()).toBe(iso(D1, "10:15"));
      expect(() => effectiveHour(at(D1, "10:00"), now)).toThrow(/next whole hour at the earliest/);
      expect(effectiveHour(at(D1, "11:00"), now).toISOString()).toBe(iso(D1, "11:00"));
    });
    await withPeriod("1440", () => expect(effectiveHour(undefined, now).toISOString()).toBe(iso(D1, "10:00")));
  });

  it("a run repeated changes nothing; a later one adds no record for a VM that is gone", async () => {
    const before = await everything();
    const again = await aggregateSettled(h.db, { now: at(D1, "12:14"), periodMinutes: 15 });
    expect(again.records).toBe(0);
    await rateUsage(h.db);
    expect(await everything()).toEqual(before);
    await aggregateSettled(h.db, { now: at(D1, "13:00"), periodMinutes: 15 });
    await rateUsage(h.db);
    expect(await everything()).toEqual(before);
  });

  it("a daily period from the start: one record of 1.5 h, charged 0.18", async () => {
    // A second database-wide length would remake D1: here D1's day is remade in days too.
    const vm2 = await ninetyMinutes(D2);
    await aggregateSettled(h.db, { now: at(D2, "23:59"), periodMinutes: 1440 });
    await aggregateSettled(h.db, { now: at("2027-02-13", "00:00"), periodMinutes: 1440 });
    await rateUsage(h.db);
    expect(await running(vm2)).toEqual([[iso(D2, "00:00"), iso("2027-02-13", "00:00"), "5400", "1.500000000", "hours"]]);
    expect(await charged(vm2)).toEqual([[iso(D2, "00:00"), "0.180000000"]]);
    // The change of length made D1 again from its facts, in a day: same hours, same money, no 15-minute leftovers.
    expect(await running(vm1)).toEqual([[iso(D1, "00:00"), iso("2027-02-11", "00:00"), "5400", "1.500000000", "hours"]]);
    expect(await charged(vm1)).toEqual([[iso(D1, "00:00"), "0.180000000"]]);
    const once = await everything();
    await aggregateSettled(h.db, { now: at("2027-02-13", "05:00"), periodMinutes: 1440 });
    await rateUsage(h.db);
    expect(await everything()).toEqual(once);
  });

  it("back to 15 minutes, a late fact inside a daily record replaces it and its charge", async () => {
    await aggregateSettled(h.db, { now: at("2027-02-13", "06:00"), periodMinutes: 15 });
    // D2's VM was in fact stopped at 11:00 (noticed late): its daily record is made again in quarters.
    const [vm2] = (
      await h.db
        .select({ id: usageRecords.resourceId })
        .from(usageRecords)
        .where(eq(usageRecords.periodStart, at(D2, "00:00")))
    ).map((r) => r.id);
    await fact("VM.STOP", vm2!, at(D2, "11:00"));
    const r = await aggregateSettled(h.db, { now: at("2027-02-13", "06:15"), periodMinutes: 15 });
    expect(r.lateResources).toBe(1);
    await rateUsage(h.db);
    expect((await running(vm2!)).map((x) => [x[0], x[2]])).toEqual(["10:00", "10:15", "10:30", "10:45"].map((s) => [iso(D2, s), "900"]));
    expect(await charged(vm2!)).toEqual(["10:00", "10:15", "10:30", "10:45"].map((s) => [iso(D2, s), "0.030000000"]));
    // D1, before the watermark's day, keeps its daily record.
    expect((await running(vm1)).length).toBe(1);
  });
});

describe("STRATUS_USAGE_PERIOD_MINUTES", () => {
  it("defaults to 60, takes the lengths that divide a day, and refuses others naming the variable", () => {
    const saved = process.env.STRATUS_USAGE_PERIOD_MINUTES;
    try {
      delete process.env.STRATUS_USAGE_PERIOD_MINUTES;
      expect(env().STRATUS_USAGE_PERIOD_MINUTES).toBe(60);
      process.env.STRATUS_USAGE_PERIOD_MINUTES = "1440";
      expect(env().STRATUS_USAGE_PERIOD_MINUTES).toBe(1440);
      for (const bad of ["7", "90", "0", "abc", "2880"]) {
        process.env.STRATUS_USAGE_PERIOD_MINUTES = bad;
        expect(() => env()).toThrow(
          /STRATUS_USAGE_PERIOD_MINUTES: must be one of 1, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440/,
        );
      }
    } finally {
      if (saved === undefined) delete process.env.STRATUS_USAGE_PERIOD_MINUTES;
      else process.env.STRATUS_USAGE_PERIOD_MINUTES = saved;
    }
  });
});
