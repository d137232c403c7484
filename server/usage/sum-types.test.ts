import { randomUUID } from "node:crypto";
import { asc } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { usageEvents, usageRecords } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { aggregateSettled } from "@/test/usage-facts";

/**
 * A counter type is one declarative entry: network bytes (NETWORK.BYTES.SENT facts from the metrics
 * cycle, `details.bytes`), summed per resource and hour, late facts included.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const bytes = (resourceId: string, at: string, sent: number) =>
  h.db.insert(usageEvents).values({
    type: "NETWORK.BYTES.SENT",
    accountId: t.tenantAccount.id,
    domainId: t.domains.acme.id,
    resourceId,
    resourceName: "vm-1",
    details: { bytes: sent },
    occurredAt: new Date(at),
    idempotencyKey: randomUUID(),
  });
const rows = async () =>
  (await h.db.select().from(usageRecords).orderBy(asc(usageRecords.periodStart))).map((r) => [
    r.periodStart.toISOString().slice(11, 16),
    r.typeName,
    r.quantity,
    r.unit,
  ]);

describe(`a counter usage type (${testDbKind()})`, () => {
  it("sums amounts per hour, exactly once, with late facts", async () => {
    const net = randomUUID();
    await bytes(net, "2026-11-02T10:05:00Z", 1000);
    await bytes(net, "2026-11-02T10:55:00Z", 2500);
    await bytes(net, "2026-11-02T11:10:00Z", 7);
    await aggregateSettled(h.db, { now: new Date("2026-11-02T12:00:00Z") });
    expect(await rows()).toEqual([
      ["10:00", "NETWORK_BYTES_SENT", "3500.000000000", "bytes"],
      ["11:00", "NETWORK_BYTES_SENT", "7.000000000", "bytes"],
    ]);
    await aggregateSettled(h.db, { now: new Date("2026-11-02T12:00:00Z") });
    await bytes(net, "2026-11-02T10:30:00Z", 500); // late
    await aggregateSettled(h.db, { now: new Date("2026-11-02T12:30:00Z") });
    expect(await rows()).toEqual([
      ["10:00", "NETWORK_BYTES_SENT", "4000.000000000", "bytes"],
      ["11:00", "NETWORK_BYTES_SENT", "7.000000000", "bytes"],
    ]);
  });
});
