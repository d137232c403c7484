import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { domains, webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { env } from "@/server/env";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";

export interface WebhookEvent {
  /** The domain the event happened in (an account's event: the account's domain). */
  domainId: string;
  accountId?: string | null;
  /** Event type, e.g. BILLING.LOWBALANCE. */
  event: string;
  payload: Record<string, unknown>;
}

/**
 * Queues an event for every enabled subscription that wants it — the account's own, and those of
 * the event's domain and its ancestors — in the caller's transaction: a delivery row and its
 * webhook.deliver job exist if and only if the change that raised the event committed.
 * Returns the delivery ids.
 */
export async function queueWebhook(tx: DbOrTx, e: WebhookEvent): Promise<string[]> {
  const [d] = await tx.select({ path: domains.path }).from(domains).where(eq(domains.id, e.domainId));
  if (!d) return [];
  const s = webhookSubscriptions;
  const subs = await tx
    .select({ id: s.id })
    .from(s)
    .where(
      and(
        eq(s.enabled, true),
        sql`(${e.event} = any(${s.eventTypes}) or '*' = any(${s.eventTypes}))`,
        // A domain's subscription hears its subtree; an account's only its own events.
        sql`starts_with(${d.path}, ${s.domainPath})`,
        e.accountId ? or(isNull(s.accountId), eq(s.accountId, e.accountId)) : isNull(s.accountId),
      ),
    );
  const ids: string[] = [];
  for (const sub of subs) ids.push(await queueDelivery(tx, sub.id, e, d.path));
  return ids;
}

/** One delivery to one subscription, and the webhook.deliver job that sends it, in the caller's transaction. */
export async function queueDelivery(tx: DbOrTx, subscriptionId: string, e: WebhookEvent, domainPath: string): Promise<string> {
  const [row] = await tx
    .insert(webhookDeliveries)
    .values({
      subscriptionId,
      accountId: e.accountId ?? null,
      domainPath,
      event: e.event,
      payload: e.payload,
      maxAttempts: env().STRATUS_WEBHOOK_MAX_ATTEMPTS,
    })
    .returning({ id: webhookDeliveries.id });
  await enqueueJob(tx, {
    type: "webhook.deliver",
    resourceType: "webhook_delivery",
    resourceId: row!.id,
    accountId: e.accountId ?? null,
    domainPath,
    maxAttempts: 3,
  });
  return row!.id;
}
