import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { billedAsRunning, recordUsage, type UsageSubject } from "./usage";

let h: DbHandle;
beforeAll(async () => {
  h = await openTestDb();
});
afterAll(async () => {
  await h.close();
});

const subject = (): UsageSubject => ({
  id: randomUUID(),
  name: "vm",
  accountId: randomUUID(),
  domainId: randomUUID(),
  zoneId: randomUUID(),
  computeOfferingId: randomUUID(),
  templateId: randomUUID(),
});

describe(`usage facts are numbered in insert order (${testDbKind()})`, () => {
  it("facts of one transaction share created_at but not seq; the last fact is read by seq", async () => {
    const a = subject();
    const b = subject();
    await h.db.transaction(async (tx) => {
      await recordUsage(tx, "VM.START", a);
      await recordUsage(tx, "VM.STOP", a);
      await recordUsage(tx, "VM.STOP", b);
      await recordUsage(tx, "VM.START", b);
    });
    const rows = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, a.id)).orderBy(usageEvents.seq);
    expect(rows.map((r) => r.type)).toEqual(["VM.START", "VM.STOP"]);
    expect(rows[0]!.createdAt.getTime()).toBe(rows[1]!.createdAt.getTime());
    expect(rows[1]!.seq).toBeGreaterThan(rows[0]!.seq);
    // Both written by one transaction, whose id is kept for the aggregator's horizon.
    expect(rows[0]!.xactId).toBeGreaterThan(0);
    expect(rows[1]!.xactId).toBe(rows[0]!.xactId);
    expect(await billedAsRunning(h.db, a.id)).toBe(false);
    expect(await billedAsRunning(h.db, b.id)).toBe(true);
  });

  it("a fact may be dated when it happened (occurred_at) while keeping its place in the sequence", async () => {
    const a = subject();
    const then = new Date(Date.now() - 3_600_000);
    await recordUsage(h.db, "VM.START", a);
    await recordUsage(h.db, "VM.STOP", a, { occurredAt: then });
    const rows = await h.db.select().from(usageEvents).where(eq(usageEvents.resourceId, a.id)).orderBy(usageEvents.seq);
    expect(rows.map((r) => [r.type, r.occurredAt.getTime() === then.getTime()])).toEqual([
      ["VM.START", false],
      ["VM.STOP", true],
    ]);
  });
});
