import { randomUUID } from "node:crypto";
import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { computeOfferings, usageAggregation, usageEvents, usageOpenIntervals, usageRecords } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { aggregateSettled, insertSyntheticFacts } from "@/test/usage-facts";

/**
 * Runs that read only the facts since the watermark plus the intervals still open
 * (usage_open_intervals) make exactly the records of one run over every fact, late facts included;
 * and port-forwarding rules (NET.RULEADD of kind port_forward) are usage type 12.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const fingerprint = async () =>
  rowsOf<{ n: string; seconds: string; digest: string }>(
    await h.db.execute(sql`
      select count(*)::text as n, coalesce(sum(seconds), 0)::text as seconds,
        md5(coalesce(string_agg(concat_ws(',', account_id, usage_type, resource_id, period_start, dimensions_key, seconds, size, quantity, dimensions::text), ';'
          order by account_id, usage_type, resource_id, period_start, dimensions_key), '')) as digest
      from usage_records`),
  )[0]!;

const hour = 3_600_000;
const reset = () => h.db.execute(sql`truncate usage_records, usage_aggregation, usage_open_intervals`);

describe(`usage aggregation run by run (${testDbKind()})`, () => {
  it("hourly runs carrying open intervals, with late facts, equal one run over every fact", async () => {
    const [o] = await h.db.select().from(computeOfferings).limit(1);
    const start = new Date("2026-11-10T00:00:00Z");
    const facts = (events: number, offset: number, salt: string) =>
      insertSyntheticFacts(h.db, { events, offset, accounts: 4, start, hours: 30, domainId: t.domains.acme.id, offeringId: o!.id, salt });
    await facts(3000, 0, "inc");
    // Run every 5 hours; the intervals open at each watermark are carried, the rest read anew.
    for (let n = 5; n <= 20; n += 5) await aggregateSettled(h.db, { now: new Date(start.getTime() + n * hour), maxPeriods: 3 });
    const [state] = await h.db.select().from(usageAggregation);
    expect(state!.openIntervalsUntil?.toISOString()).toBe(new Date(start.getTime() + 20 * hour).toISOString());
    expect((await h.db.select().from(usageOpenIntervals)).length).toBeGreaterThan(0);
    // Late facts: another batch of resources, spread over the same hours (most before the watermark),
    // and, for resources whose interval is carried, a stop or a resize noticed late.
    await facts(1000, 3000, "late");
    await h.db.execute(sql`
      insert into usage_events (type, account_id, domain_id, resource_id, resource_name, offering_id, details, idempotency_key, occurred_at)
      select case when f.type like 'VM.%' then 'VM.STOP' else 'VOLUME.RESIZE' end, f.account_id, f.domain_id, f.resource_id,
        f.resource_name, f.offering_id, case when f.type like 'VOLUME.%' then '{"sizeGib": 99, "toGib": 99, "volumeType": "datadisk"}'::jsonb end,
        'late-' || f.id, f.occurred_at + interval '7 minutes'
      from (select distinct fact_id from usage_open_intervals where usage_type in (1, 6)) k join usage_events f on f.id = k.fact_id
      where f.type in ('VM.START', 'VOLUME.CREATE', 'VOLUME.RESIZE')`);
    for (let n = 25; n <= 40; n += 5) await aggregateSettled(h.db, { now: new Date(start.getTime() + n * hour) });
    const incremental = await fingerprint();
    expect(Number(incremental.n)).toBeGreaterThan(1000);
    // A re-run changes nothing.
    await aggregateSettled(h.db, { now: new Date(start.getTime() + 40 * hour) });
    expect(await fingerprint()).toEqual(incremental);

    await reset();
    await aggregateSettled(h.db, { now: new Date(start.getTime() + 40 * hour) });
    expect(await fingerprint()).toEqual(incremental);
    await reset();
    await h.db.execute(sql`truncate usage_events`);
  });

  it("port-forwarding rules are usage type 12; firewall, egress and static-NAT rules are not", async () => {
    const pf = randomUUID();
    const fw = randomUUID();
    const rule = (type: string, resourceId: string, kind: string, at: string) =>
      h.db.insert(usageEvents).values({
        type,
        accountId: t.tenantAccount.id,
        domainId: t.domains.acme.id,
        resourceId,
        resourceName: kind,
        details: { kind, protocol: "tcp", ports: [22, 22] },
        occurredAt: new Date(at),
        idempotencyKey: randomUUID(),
      });
    await rule("NET.RULEADD", pf, "port_forward", "2026-11-20T10:15:00Z");
    await rule("NET.RULEADD", fw, "firewall", "2026-11-20T10:15:00Z");
    await aggregateSettled(h.db, { now: new Date("2026-11-20T12:00:00Z") });
    await rule("NET.RULEDELETE", pf, "port_forward", "2026-11-20T12:30:00Z");
    await rule("NET.RULEDELETE", fw, "firewall", "2026-11-20T12:30:00Z");
    await aggregateSettled(h.db, { now: new Date("2026-11-20T14:00:00Z") });
    const records = await h.db.select().from(usageRecords).orderBy(asc(usageRecords.periodStart));
    expect(records.map((r) => [r.resourceId, r.usageType, r.typeName, r.periodStart.toISOString().slice(11, 16), r.seconds])).toEqual([
      [pf, 12, "PORT_FORWARDING_RULE", "10:00", "2700"],
      [pf, 12, "PORT_FORWARDING_RULE", "11:00", "3600"],
      [pf, 12, "PORT_FORWARDING_RULE", "12:00", "1800"],
    ]);
    expect((await h.db.select().from(usageRecords).where(eq(usageRecords.resourceId, fw))).length).toBe(0);
  });
});
