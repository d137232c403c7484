import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type DbHandle, openDb } from "@/db";
import { events } from "@/db/schema";
import { recordEvent } from "@/server/core/events";
import { openTestDb } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { liveStreams } from "@/test/live-stream";
import { waitFor } from "@/test/orchestrator";

/**
 * Needs a second connection from "another process": only on PostgreSQL (`*.postgres.test.ts` are
 * left out of the PGlite run rather than skipped).
 */
const SECRET = "live-test-secret-0123456789abcdef";
process.env.NEXTAUTH_SECRET = SECRET;

let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
const streams = liveStreams(() => h, SECRET);

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(async () => {
  await streams.cancelAll();
  await h.close();
});

describe("live change feed across processes (postgres)", () => {
  it("a NOTIFY committed by another process's connection reaches the stream", async () => {
    const s = (await streams.connect(t.callers.tenant)).stream;
    const other = openDb({ url: h.url!, max: 2 });
    try {
      const { accountId, domainPath } = t.callers.tenant;
      await other.db.transaction(async (tx) => {
        await recordEvent(tx, { type: "TEST.OTHER", description: "from elsewhere", accountId, domainPath });
        await tx.execute(sql`select 1`);
      });
      const [ev] = await h.db
        .select({ id: events.id })
        .from(events)
        .where(inArray(events.type, ["TEST.OTHER"]));
      await waitFor("the other process's event", () => s.has("event", ev!.id));
    } finally {
      await other.close();
    }
  });
});
