import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { type Caller, ownedCondition } from "@/server/authz/caller";
import { badRequest, notFound } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import type { CreateWebhookInput } from "@/lib/validation/billing";
import { getAccountInScope } from "@/server/services/accounts";
import { getDomainInScope } from "@/server/services/domains";
import { newWebhookSecret } from "./sign";
import { queueDelivery } from "./queue";
import { checkWebhookUrl } from "./url-policy";

/** Subscriptions: a tenant its account's, a reseller its subtree's, the root admin all. */
export const webhookScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: webhookSubscriptions.accountId, domainPath: webhookSubscriptions.domainPath });

/** A subscription as shown: never its secret (that is shown once, by create). */
const shown = {
  id: webhookSubscriptions.id,
  domainId: webhookSubscriptions.domainId,
  accountId: webhookSubscriptions.accountId,
  name: webhookSubscriptions.name,
  url: webhookSubscriptions.url,
  eventTypes: webhookSubscriptions.eventTypes,
  enabled: webhookSubscriptions.enabled,
  createdAt: webhookSubscriptions.createdAt,
  domainPath: webhookSubscriptions.domainPath,
};

async function subscriptionInScope(db: DbOrTx, caller: Caller, id: string) {
  const [s] = await db
    .select(shown)
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.id, id), webhookScope(caller)));
  if (!s) throw notFound("Webhook");
  return s;
}

/**
 * A subscription for an account (a tenant: its own) or a domain's subtree (admins). The URL must
 * pass the allow-list now (and again before every delivery). Returns the secret, once.
 */
export async function createWebhook(db: Db, caller: Caller, input: CreateWebhookInput) {
  if (!!input.accountId === !!input.domainId) throw badRequest("Choose an account or a domain", "accountId");
  if (caller.accountType === "user" && !input.accountId) throw badRequest("Choose your account", "accountId");
  const owner = input.accountId
    ? await getAccountInScope(db, caller, input.accountId).then((a) => ({ domainId: a.domainId, path: a.domainPath, accountId: a.id }))
    : await getDomainInScope(db, caller, input.domainId!).then((d) => ({ domainId: d.id, path: d.path, accountId: null }));
  await checkWebhookUrl(input.url);
  const secret = newWebhookSecret();
  return db.transaction(async (tx) => {
    const [s] = await tx
      .insert(webhookSubscriptions)
      .values({
        domainId: owner.domainId,
        domainPath: owner.path,
        accountId: owner.accountId,
        name: input.name,
        url: input.url,
        secret,
        eventTypes: input.eventTypes,
        createdBy: caller.userId,
      })
      .returning(shown);
    await recordEvent(tx, {
      type: "WEBHOOK.CREATE",
      description: `Webhook ${input.name} created`,
      actorUserId: caller.userId,
      accountId: owner.accountId,
      domainId: owner.domainId,
      domainPath: owner.path,
      resourceType: "webhook",
      resourceId: s!.id,
    });
    return { ...s!, secret };
  });
}

export async function listWebhooks(db: DbOrTx, caller: Caller) {
  return db.select(shown).from(webhookSubscriptions).where(webhookScope(caller)).orderBy(desc(webhookSubscriptions.createdAt)).limit(500);
}

export async function setWebhookEnabled(db: Db, caller: Caller, id: string, enabled: boolean) {
  const s = await subscriptionInScope(db, caller, id);
  await db.update(webhookSubscriptions).set({ enabled }).where(eq(webhookSubscriptions.id, s.id));
  return { ...s, enabled };
}

export async function deleteWebhook(db: Db, caller: Caller, id: string) {
  const s = await subscriptionInScope(db, caller, id);
  await db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, s.id));
}

/**
 * A test delivery (WEBHOOK.PING) to one subscription, so its owner can check the receiver and its
 * signature check before a real event depends on them. It goes through the normal delivery job.
 */
export async function pingWebhook(db: Db, caller: Caller, id: string) {
  const s = await subscriptionInScope(db, caller, id);
  if (!s.enabled) throw badRequest("This webhook is disabled: enable it to send a test", "id");
  const deliveryId = await db.transaction((tx) =>
    queueDelivery(
      tx,
      s.id,
      { domainId: s.domainId, accountId: s.accountId, event: "WEBHOOK.PING", payload: { webhookId: s.id, name: s.name } },
      s.domainPath,
    ),
  );
  return { deliveryId };
}

/** The delivery log of a subscription in scope (newest first). */
export async function listDeliveries(db: DbOrTx, caller: Caller, subscriptionId: string, limit = 100) {
  const s = await subscriptionInScope(db, caller, subscriptionId);
  return db
    .select({
      id: webhookDeliveries.id,
      event: webhookDeliveries.event,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      maxAttempts: webhookDeliveries.maxAttempts,
      responseCode: webhookDeliveries.responseCode,
      lastError: webhookDeliveries.lastError,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      createdAt: webhookDeliveries.createdAt,
      deliveredAt: webhookDeliveries.deliveredAt,
    })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.subscriptionId, s.id))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(limit);
}
