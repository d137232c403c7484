import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { DbHandle } from "@/db";
import { consoleTickets, loginThrottle, sessions } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { ENDED_SESSION_RETENTION_MS, purgeStaleAuthRows } from "./cleanup";
import { sessionLifetimes } from "./session";
import { throttlePolicy } from "./throttle";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(async () => h?.close());

describe("purgeStaleAuthRows", () => {
  it("deletes only sessions, throttle windows and console tickets that can no longer matter", async () => {
    const now = new Date("2026-11-30T12:00:00Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const { idleMs, maxMs } = sessionLifetimes();
    const keep = ENDED_SESSION_RETENTION_MS;
    const userId = t.callers.tenant.userId;
    const row = (id: string, createdAt: Date, lastSeenAt: Date, endedAt: Date | null) => ({
      id,
      userId,
      sessionVersion: 0,
      createdAt,
      lastSeenAt,
      endedAt,
      ip: "198.51.100.7",
    });
    await h.db
      .insert(sessions)
      .values([
        row("active", ago(60_000), ago(1_000), null),
        row("ended-recently", ago(3_600_000), ago(3_600_000), ago(keep / 2)),
        row("ended-long-ago", ago(keep * 3), ago(keep * 3), ago(keep * 2)),
        row("idle-long-ago", ago(idleMs + keep + 60_000), ago(idleMs + keep + 60_000), null),
        row("lapsed-long-ago", ago(maxMs + keep + 60_000), ago(1_000), null),
      ]);
    const windowMs = throttlePolicy().windowMs;
    await h.db.insert(loginThrottle).values([
      { key: "addr:198.51.100.7", windowStart: ago(1_000), count: 3 },
      { key: "addr:198.51.100.8", windowStart: ago(windowMs + 1_000), count: 9 },
    ]);
    const ticket = (hash: string, expiresAt: Date) => ({
      tokenHash: hash,
      userId,
      sessionId: "active",
      sessionVersion: 0,
      instanceId: randomUUID(),
      expiresAt,
    });
    await h.db.insert(consoleTickets).values([ticket("fresh", new Date(now.getTime() + 30_000)), ticket("spent", ago(1_000))]);

    expect(await purgeStaleAuthRows(h.db, now)).toEqual({ sessions: 3, throttleWindows: 1, consoleTickets: 1 });
    expect((await h.db.select({ id: sessions.id }).from(sessions)).map((s) => s.id).sort()).toEqual(["active", "ended-recently"]);
    expect((await h.db.select({ key: loginThrottle.key }).from(loginThrottle)).map((r) => r.key)).toEqual(["addr:198.51.100.7"]);
    expect((await h.db.select({ hash: consoleTickets.tokenHash }).from(consoleTickets)).map((r) => r.hash)).toEqual(["fresh"]);
    // Running again deletes nothing more.
    expect(await purgeStaleAuthRows(h.db, now)).toEqual({ sessions: 0, throttleWindows: 0, consoleTickets: 0 });
  });
});
