import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { computeOfferings, usageEvents, usageRecords } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { aggregateSettled } from "@/test/usage-facts";

/**
 * Synthetic facts with known answers: each case writes facts at chosen times and checks the exact
 * records the aggregation makes of them, then that running it again, or later, changes nothing.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let medium: { id: string };

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  medium = (await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Medium")))[0]!;
});
afterAll(() => h.close());

const at = (hhmm: string, day = "2026-11-02") => new Date(`${day}T${hhmm}:00Z`);

async function fact(type: string, resourceId: string, when: Date, extra: { details?: Record<string, unknown>; offeringId?: string } = {}) {
  await h.db.insert(usageEvents).values({
    type,
    accountId: t.tenantAccount.id,
    domainId: t.tenantAccount.domainId,
    resourceId,
    resourceName: `r-${resourceId.slice(0, 4)}`,
    offeringId: extra.offeringId ?? null,
    details: extra.details ?? null,
    occurredAt: when,
    idempotencyKey: randomUUID(),
  });
}

const recordsOf = async (resourceId: string) =>
  (
    await h.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.resourceId, resourceId))
      .orderBy(asc(usageRecords.usageType), asc(usageRecords.periodStart), asc(usageRecords.size))
  ).map((r) => ({
    type: r.typeName,
    usageType: r.usageType,
    period: r.periodStart.toISOString().slice(11, 16),
    seconds: Number(r.seconds),
    quantity: r.quantity,
    size: Number(r.size),
    dims: r.dimensions,
  }));

const allRecords = async () =>
  (
    await h.db
      .select()
      .from(usageRecords)
      .orderBy(asc(usageRecords.resourceId), asc(usageRecords.periodStart), asc(usageRecords.usageType), asc(usageRecords.dimensionsKey))
  ).map(({ aggregatedAt: _, ...r }) => r);

describe(`usage aggregation (${testDbKind()})`, () => {
  const vm = randomUUID();
  const vol = randomUUID();
  const snap = randomUUID();

  it("a VM running 90 minutes at 2 vCPU in hourly periods: exactly two running and two allocated records", async () => {
    await fact("VM.CREATE", vm, at("10:00"), { offeringId: medium.id });
    await fact("VM.START", vm, at("10:00"), { offeringId: medium.id });
    await fact("VM.STOP", vm, at("11:30"), { offeringId: medium.id });
    await fact("VM.DESTROY", vm, at("11:30"), { offeringId: medium.id });
    // A volume of 10 GiB made at 10:20, resized to 30 GiB at 10:50, deleted at 11:05.
    await fact("VOLUME.CREATE", vol, at("10:20"), { details: { sizeGib: 10, volumeType: "datadisk" } });
    await fact("VOLUME.RESIZE", vol, at("10:50"), { details: { sizeGib: 30, fromGib: 10, toGib: 30, volumeType: "datadisk" } });
    await fact("VOLUME.DELETE", vol, at("11:05"), { details: { sizeGib: 30, volumeType: "datadisk" } });
    // A 1.5 GiB snapshot kept from 10:30 on (never deleted).
    await fact("SNAPSHOT.CREATE", snap, at("10:30"), { details: { sizeBytes: 1610612736, volumeId: vol } });

    const r = await aggregateSettled(h.db, { now: at("12:10") });
    expect([r.from.toISOString(), r.until.toISOString()]).toEqual([at("10:00").toISOString(), at("12:00").toISOString()]);
    const dims = { cpuCores: 2, cpuMhz: 2000, memoryMib: 4096 };
    expect(await recordsOf(vm)).toEqual(
      [
        { type: "RUNNING_VM", usageType: 1, period: "10:00", seconds: 3600, quantity: "1.000000000", size: 1, dims },
        { type: "RUNNING_VM", usageType: 1, period: "11:00", seconds: 1800, quantity: "0.500000000", size: 1, dims },
        { type: "ALLOCATED_VM", usageType: 2, period: "10:00", seconds: 3600, quantity: "1.000000000", size: 1, dims },
        { type: "ALLOCATED_VM", usageType: 2, period: "11:00", seconds: 1800, quantity: "0.500000000", size: 1, dims },
      ].sort((a, b) => a.usageType - b.usageType),
    );
    expect(await recordsOf(vol)).toEqual([
      // 30 min × 10 GiB = 5 GiB-hours, 10 min × 30 GiB = 5 GiB-hours, then 5 min × 30 GiB = 2.5.
      {
        type: "VOLUME",
        usageType: 6,
        period: "10:00",
        seconds: 1800,
        quantity: "5.000000000",
        size: 10,
        dims: { sizeGib: 10, volumeType: "datadisk" },
      },
      {
        type: "VOLUME",
        usageType: 6,
        period: "10:00",
        seconds: 600,
        quantity: "5.000000000",
        size: 30,
        dims: { sizeGib: 30, volumeType: "datadisk" },
      },
      {
        type: "VOLUME",
        usageType: 6,
        period: "11:00",
        seconds: 300,
        quantity: "2.500000000",
        size: 30,
        dims: { sizeGib: 30, volumeType: "datadisk" },
      },
    ]);
    expect(await recordsOf(snap)).toEqual([
      {
        type: "SNAPSHOT",
        usageType: 9,
        period: "10:00",
        seconds: 1800,
        quantity: "0.750000000",
        size: 1.5,
        dims: { sizeGib: 1.5, volumeId: vol },
      },
      {
        type: "SNAPSHOT",
        usageType: 9,
        period: "11:00",
        seconds: 3600,
        quantity: "1.500000000",
        size: 1.5,
        dims: { sizeGib: 1.5, volumeId: vol },
      },
    ]);
  });

  it("running it again changes nothing; a later run adds only the new periods", async () => {
    const before = await allRecords();
    const again = await aggregateSettled(h.db, { now: at("12:59") });
    expect(again.records).toBe(0);
    expect(await allRecords()).toEqual(before);
    await aggregateSettled(h.db, { now: at("14:00") });
    const after = await allRecords();
    expect(after.filter((r) => r.periodStart < at("12:00"))).toEqual(before);
    // Only the snapshot still counts: 12:00 and 13:00.
    expect(
      after.filter((r) => r.periodStart >= at("12:00")).map((r) => [r.resourceId, r.periodStart.toISOString().slice(11, 16), r.seconds]),
    ).toEqual([
      [snap, "12:00", "3600"],
      [snap, "13:00", "3600"],
    ]);
  });

  it("late facts (occurred hours ago, committed now) are folded into the periods they belong to", async () => {
    const late = randomUUID();
    await fact("VM.START", late, at("11:40"), { offeringId: medium.id });
    await fact("VM.STOP", late, at("12:10"), { offeringId: medium.id });
    // The snapshot was in fact deleted at 12:45: noticed late.
    await fact("SNAPSHOT.DELETE", snap, at("12:45"), { details: { sizeBytes: 1610612736, volumeId: vol } });
    const r = await aggregateSettled(h.db, { now: at("14:30") });
    expect(r.lateResources).toBe(2);
    expect((await recordsOf(late)).map((x) => [x.type, x.period, x.seconds])).toEqual([
      ["RUNNING_VM", "11:00", 1200],
      ["RUNNING_VM", "12:00", 600],
    ]);
    expect((await recordsOf(snap)).map((x) => [x.period, x.seconds])).toEqual([
      ["10:00", 1800],
      ["11:00", 3600],
      ["12:00", 2700],
    ]);
    // The VM and volume, untouched by the late facts, keep their records.
    expect((await recordsOf(vm)).length).toBe(4);
    expect((await recordsOf(vol)).length).toBe(3);
    const once = await allRecords();
    await aggregateSettled(h.db, { now: at("14:30") });
    expect(await allRecords()).toEqual(once);
  });

  it("an upgrade while stopped does not start the running clock; one while running splits the hour by offering", async () => {
    const [small] = await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Small"));
    const x = randomUUID();
    const day = "2026-11-02";
    await fact("VM.CREATE", x, at("14:00", day), { offeringId: small!.id });
    await fact("VM.UPGRADE", x, at("14:10", day), { offeringId: medium.id });
    await fact("VM.START", x, at("14:20", day), { offeringId: medium.id });
    await fact("VM.UPGRADE", x, at("14:50", day), { offeringId: small!.id });
    await aggregateSettled(h.db, { now: at("15:00", day) });
    // Running: 14:20–14:50 at Medium, 14:50–15:00 at Small. Allocated: Small 14:00–14:10 and 14:50–15:00 (one record), Medium between.
    const seen = (await recordsOf(x)).map((r) => `${r.type} ${r.seconds} ${String(r.dims.cpuCores)}`).sort();
    expect(seen).toEqual(["ALLOCATED_VM 1200 1", "ALLOCATED_VM 2400 2", "RUNNING_VM 1800 2", "RUNNING_VM 600 1"]);
  });
});
