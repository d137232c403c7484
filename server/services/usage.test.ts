import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { computeOfferings, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { insertSyntheticFacts } from "@/test/usage-facts";
import { aggregateUsage } from "@/server/usage/aggregate";
import { handleUsageExport } from "@/server/api/usage-export";
import { usageExportColumns } from "@/lib/validation/usage";
import { signInAs } from "@/test/sessions";
import { currentMonth } from "./usage";

const SECRET = "usage-test-secret-0123456789abcdef";
const saved = { ...process.env };

/**
 * Reports over records made from synthetic facts with closed-form totals (the generator's shapes:
 * ten facts per resource, 37 minutes apart), through the real router, per role.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
const start = new Date("2026-11-03T00:00:00Z");
const range = { from: start, to: new Date(start.getTime() + 3 * 86_400_000) };
const tenantVm = randomUUID();

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET = SECRET;
  h = await openTestDb();
  t = await seedTenancy(h.db);
  const [o] = await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Medium"));
  // 3,000 facts: 100 VMs, 100 volumes, 100 groups of 5 snapshots, over 5 accounts of Acme Cloud.
  await insertSyntheticFacts(h.db, {
    events: 3000,
    accounts: 5,
    start,
    hours: 48,
    domainId: t.domains.acme.id,
    offeringId: o!.id,
    salt: "report",
  });
  // The tenant's own VM: 90 minutes running.
  for (const [type, at] of [
    ["VM.START", "2026-11-03T10:00:00Z"],
    ["VM.STOP", "2026-11-03T11:30:00Z"],
  ] as const)
    await h.db.insert(usageEvents).values({
      type,
      accountId: t.tenantAccount.id,
      domainId: t.domains.acme.id,
      resourceId: tenantVm,
      resourceName: "tenant-vm",
      offeringId: o!.id,
      occurredAt: new Date(at),
      idempotencyKey: randomUUID(),
    });
  await aggregateUsage(h.db, { now: range.to });
});
afterAll(async () => {
  process.env = saved;
  await h.close();
});

const byType = (s: { byType: { typeName: string; seconds: string; sizeSeconds: string }[] }) =>
  Object.fromEntries(s.byType.map((x) => [x.typeName, [Number(x.seconds), Number(x.sizeSeconds)]]));

describe(`usage reports (${testDbKind()})`, () => {
  it("report totals equal the raw facts (reseller of the facts' domain)", async () => {
    const s = await api(h.db, t.callers.reseller).usage.summary(range);
    const m = 37 * 60;
    expect(byType(s)).toEqual({
      RUNNING_VM: [100 * 4 * m + 5400, 100 * 4 * m + 5400],
      ALLOCATED_VM: [100 * 9 * m, 100 * 9 * m],
      VOLUME: [100 * 9 * m, 100 * m * (10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18)],
      // Snapshot r (r % 3 = 2) is 1 GiB + (r % 1000) MiB, five of them, 37 minutes each.
      SNAPSHOT: [
        100 * 5 * m,
        Array.from({ length: 100 }, (_, j) => 3 * j + 2).reduce((sum, r) => sum + 5 * m * (1 + (r % 1000) / 1024), 0),
      ],
    });
    // The chart's buckets add up to the totals, type by type.
    const hours = s.overTime.filter((b) => b.usageType === 1).reduce((sum, b) => sum + Number(b.quantity), 0);
    expect(hours).toBeCloseTo(Number(s.byType.find((x) => x.usageType === 1)!.quantity), 6);
    expect(s.bucket).toBe("day");
    // Top accounts of each type: five accounts at most, ranked.
    const running = s.topAccounts.filter((a) => a.usageType === 1);
    expect(running.length).toBe(6);
    expect(running.map((a) => Number(a.quantity))).toEqual([...running.map((a) => Number(a.quantity))].sort((a, b) => b - a));
  });

  it("a tenant sees its own account only; a reseller of another domain nothing; the root admin all", async () => {
    const tenant = await api(h.db, t.callers.tenant).usage.summary(range);
    expect(byType(tenant)).toEqual({ RUNNING_VM: [5400, 5400] });
    const page = await api(h.db, t.callers.tenant).usage.records({ ...range, pageSize: 10 });
    expect(page.items.map((r) => [r.resourceName, r.periodStart.toISOString(), r.quantity])).toEqual([
      ["tenant-vm", "2026-11-03T11:00:00.000Z", "0.500000000"],
      ["tenant-vm", "2026-11-03T10:00:00.000Z", "1.000000000"],
    ]);
    expect((await api(h.db, t.callers.reseller2).usage.summary(range)).byType).toEqual([]);
    const admin = await api(h.db, t.callers.admin).usage.summary(range);
    expect(byType(admin)).toEqual(byType(await api(h.db, t.callers.reseller).usage.summary(range)));
    // An account outside the caller's scope is NOT_FOUND.
    await expect(api(h.db, t.callers.reseller2).usage.records({ accountId: t.tenantAccount.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("without a range, the current month (UTC)", async () => {
    const s = await api(h.db, t.callers.admin).usage.summary({});
    expect(s.range).toEqual(currentMonth());
  });

  it("CSV and JSON export: stable columns, the same rows as usage.records, scope as everywhere", async () => {
    const q = `from=${range.from.toISOString()}&to=${range.to.toISOString()}`;
    const get = async (who: "tenant" | "tenant2", query: string) =>
      handleUsageExport(
        new Request(`http://portal.test/api/usage/export?${query}`, {
          headers: { cookie: (await signInAs(h.db, t.callers[who], SECRET)).cookie },
        }),
        h.db,
      );
    const csv = await get("tenant", `format=csv&${q}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(usageExportColumns.join(","));
    expect(lines.length).toBe(3);
    // Fields may be quoted (the dimensions' JSON holds commas and quotes).
    const fields = (line: string) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]!.replace(/^"|"$/g, "").replaceAll('""', '"'));
    const col = (line: string, name: (typeof usageExportColumns)[number]) => fields(line)[usageExportColumns.indexOf(name)];
    expect(JSON.parse(col(lines[1]!, "dimensions")!)).toEqual({ cpuCores: 2, cpuMhz: 2000, memoryMib: 4096 });
    expect(lines.slice(1).map((l) => [col(l, "resource_name"), col(l, "period_start"), col(l, "seconds"), col(l, "quantity")])).toEqual([
      ["tenant-vm", "2026-11-03T10:00:00.000Z", "3600", "1.000000000"],
      ["tenant-vm", "2026-11-03T11:00:00.000Z", "1800", "0.500000000"],
    ]);
    const json = (await (await get("tenant", `format=json&${q}`)).json()) as Record<string, unknown>[];
    expect(json.map((r) => Object.keys(r))).toEqual([[...usageExportColumns], [...usageExportColumns]]);
    expect(json.map((r) => r.quantity)).toEqual(["1.000000000", "0.500000000"]);
    // Another tenant gets none of it, and naming the victim's account is 404.
    expect((await (await get("tenant2", `format=json&${q}`)).json()) as unknown[]).toEqual([]);
    expect((await get("tenant2", `format=csv&accountId=${t.tenantAccount.id}`)).status).toBe(404);
    expect((await get("tenant", "format=xml")).status).toBe(400);
  });
});
