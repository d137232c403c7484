import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db";
import { webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { env } from "@/server/env";
import { JobWaiting } from "@/server/orchestrator/jobs/errors";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./sign";
import { checkWebhookUrl, type WebhookTarget } from "./url-policy";

const deliverInput = z.object({});

declare global {
  interface StratusJobInputs {
    "webhook.deliver": typeof deliverInput;
  }
}

/** The delay before attempt `n + 1` after `n` failed ones: base × 2^(n−1), at most 6 hours. */
export const retryDelayMs = (failedAttempts: number, base = env().STRATUS_WEBHOOK_RETRY_BASE_MS) =>
  Math.min(6 * 3_600_000, base * 2 ** Math.max(0, failedAttempts - 1));

/** One POST to the checked address; the status code, or the network error's text. Redirects are not followed. */
function post(target: WebhookTarget, headers: Record<string, string>, body: string): Promise<{ code: number } | { error: string }> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const mod = target.url.protocol === "https:" ? https : http;
  const timeout = env().STRATUS_WEBHOOK_TIMEOUT_MS;
  return new Promise((resolve) => {
    const req = mod.request(
      target.url,
      { method: "POST", lookup: pinned, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
      (res) => {
        // The answer's body is not needed; drain it so the socket is freed.
        res.resume();
        res.on("end", () => resolve({ code: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ code: res.statusCode ?? 0 }));
      },
    );
    req.setTimeout(timeout, () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on("error", (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

/**
 * Sends one delivery (no transaction is open while it waits on the receiver) and records the
 * attempt: a 2xx answer succeeds; anything else is retried after retryDelayMs until its attempts
 * are used up. Returns the delay before the next attempt, or null when the delivery is settled.
 */
export async function attemptDelivery(db: Db, deliveryId: string, now = () => new Date()): Promise<number | null> {
  const [row] = await db
    .select({ d: webhookDeliveries, s: webhookSubscriptions })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row || row.d.status !== "pending") return null;
  const { d, s } = row;
  const body = JSON.stringify({ id: d.id, event: d.event, createdAt: d.createdAt.toISOString(), data: d.payload });
  let outcome: { code: number } | { error: string };
  if (!s.enabled) outcome = { error: "the subscription is disabled" };
  else {
    try {
      const target = await checkWebhookUrl(s.url);
      const ts = Math.floor(now().getTime() / 1000);
      outcome = await post(
        target,
        {
          "content-type": "application/json",
          "user-agent": "Stratus-Webhooks/1",
          [EVENT_HEADER]: d.event,
          [DELIVERY_HEADER]: d.id,
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signWebhook(s.secret, ts, body),
        },
        body,
      );
    } catch (e) {
      outcome = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  const attempts = d.attempts + 1;
  const ok = "code" in outcome && outcome.code >= 200 && outcome.code < 300;
  const last = ok || attempts >= d.maxAttempts || !s.enabled;
  const delay = last ? null : retryDelayMs(attempts);
  await db
    .update(webhookDeliveries)
    .set({
      attempts,
      status: ok ? "succeeded" : last ? "failed" : "pending",
      responseCode: "code" in outcome ? outcome.code : null,
      lastError: ok ? null : "code" in outcome ? `HTTP ${outcome.code}` : outcome.error,
      nextAttemptAt: delay === null ? null : new Date(now().getTime() + delay),
      deliveredAt: ok ? now() : null,
    })
    .where(eq(webhookDeliveries.id, d.id));
  return delay;
}

/**
 * webhook.deliver: one delivery. A failed attempt puts the job back in the queue for the backoff
 * delay (JobWaiting: the delivery row counts the attempts, not the job), so retries survive a
 * restart of the process and never hold a worker while they wait.
 */
export const webhookDeliverJob = defineJob({
  type: "webhook.deliver",
  input: deliverInput,
  async run(ctx) {
    const delay = await attemptDelivery(ctx.db, ctx.job.resourceId);
    if (delay !== null) throw new JobWaiting(delay, "webhook delivery failed; retrying later");
  },
});
