import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { jobs } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { testWorkers, waitForJob } from "@/test/orchestrator";
import { webhookReceiver } from "@/test/webhook-receiver";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from "./sign";

/** Subscriptions as a tenant manages them from the Webhooks page: known events only, a signed test delivery, its log. */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let rx: Awaited<ReturnType<typeof webhookReceiver>>;
const saved = { ...process.env };

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = "127.0.0.1";
  rx = await webhookReceiver();
});
afterAll(async () => {
  process.env = saved;
  await workers.stop();
  await rx.close();
  await h.close();
});

describe(`webhook subscriptions (${testDbKind()})`, () => {
  it("refuses an event Stratus never sends, naming the field", async () => {
    await expect(
      api(h.db, t.callers.tenant).webhook.create({
        accountId: t.callers.tenant.accountId,
        name: "typo",
        url: rx.url,
        eventTypes: ["ALERT.OPEN"],
      }),
    ).rejects.toThrow(/eventTypes[\s\S]*Unknown event type|Unknown event type[\s\S]*eventTypes/);
  });

  it("sends a signed test delivery on request and logs it; a disabled webhook sends none", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const hook = await tenant.webhook.create({ accountId: t.callers.tenant.accountId, name: "ci", url: rx.url, eventTypes: ["*"] });
    const { deliveryId } = await tenant.webhook.ping({ id: hook.id });
    const [job] = await h.db.select().from(jobs).where(eq(jobs.resourceId, deliveryId));
    expect((await waitForJob(h.db, job!.id)).status).toBe("succeeded");
    const got = rx.got.filter((g) => g.headers["x-stratus-delivery"] === deliveryId);
    expect(got).toHaveLength(1);
    const signed = { signature: got[0]!.headers[SIGNATURE_HEADER] as string, timestamp: got[0]!.headers[TIMESTAMP_HEADER] as string };
    expect(verifyWebhook(hook.secret, signed, got[0]!.body)).toBe(true);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ event: "WEBHOOK.PING", data: { webhookId: hook.id, name: "ci" } });
    expect(await tenant.webhook.deliveries({ subscriptionId: hook.id })).toEqual([
      expect.objectContaining({ id: deliveryId, event: "WEBHOOK.PING", status: "succeeded", attempts: 1, responseCode: 200 }),
    ]);

    await tenant.webhook.setEnabled({ id: hook.id, enabled: false });
    await expect(tenant.webhook.ping({ id: hook.id })).rejects.toThrow(/disabled/);
    expect(await tenant.webhook.deliveries({ subscriptionId: hook.id })).toHaveLength(1);
    // Another tenant cannot ping it (not found, not forbidden).
    await expect(api(h.db, t.callers.tenant2).webhook.ping({ id: hook.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
