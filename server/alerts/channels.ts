import { and, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Tx } from "@/db";
import { accounts, alertDeliveries, alertSubscriptions, domains, users } from "@/db/schema";
import { queueWebhook } from "@/server/webhooks/queue";
import { alertEmail } from "./message";
import type { Alert } from "./types";

export type AlertTransition = "opened" | "escalated" | "resolved";

/**
 * A way alerts leave the evaluator. `notify` runs inside the transaction that opened, escalated or
 * resolved the alert, so a notification exists if and only if the change committed; a channel that
 * talks to the outside writes an outbox row there and sends it later, outside any transaction.
 *
 * The portal channel needs nothing: the alerts table is what the bell and the Alerts page read.
 */
export interface AlertChannel {
  name: string;
  notify(tx: Tx, alert: Alert, transition: AlertTransition): Promise<void>;
}

/**
 * The users an alert concerns: root admins for every alert; a reseller (domain admin) for alerts of
 * its subtree's accounts; a tenant's users for their own account's. Enabled users of live accounts only.
 */
export function audienceCondition(alert: Pick<Alert, "accountId" | "domainPath">) {
  const rootAdmin = eq(accounts.type, "root_admin");
  if (!alert.accountId || !alert.domainPath) return rootAdmin;
  return or(
    rootAdmin,
    and(eq(accounts.type, "domain_admin"), sql`left(${alert.domainPath}, length(${domains.path})) = ${domains.path}`),
    and(eq(accounts.type, "user"), eq(accounts.id, alert.accountId)),
  );
}

const severityRank = { warning: 1, critical: 2 } as const;

/** E-mail: one outbox row per subscribed recipient; email.ts sends them. */
export const emailChannel: AlertChannel = {
  name: "email",
  async notify(tx, alert, transition) {
    const rows = await tx
      .select({ userId: users.id, email: users.email, minSeverity: alertSubscriptions.minSeverity })
      .from(alertSubscriptions)
      .innerJoin(users, eq(users.id, alertSubscriptions.userId))
      .innerJoin(accounts, eq(accounts.id, users.accountId))
      .innerJoin(domains, eq(domains.id, accounts.domainId))
      .where(
        and(
          eq(alertSubscriptions.email, true),
          isNotNull(users.email),
          eq(users.state, "enabled"),
          eq(accounts.state, "enabled"),
          audienceCondition(alert),
        ),
      );
    const wanted = rows.filter((r) => r.email && severityRank[alert.severity] >= severityRank[r.minSeverity]);
    if (!wanted.length) return;
    const message = alertEmail(alert, transition);
    await tx.insert(alertDeliveries).values(
      wanted.map((r) => ({
        alertId: alert.id,
        channel: "email",
        transition,
        userId: r.userId,
        recipient: r.email!,
        subject: message.subject,
        body: message.text,
      })),
    );
  },
};

/**
 * Webhooks: ALERT.OPENED / ALERT.ESCALATED / ALERT.RESOLVED to the subscriptions that hear the
 * alert's scope (server/webhooks/queue.ts): an account's alert reaches its own subscriptions and
 * those of its domain and the domains above; an infrastructure alert (no account) only ROOT's.
 * The payload is what the alert shows its audience, nothing more (a tenant's alert names no host).
 */
export const webhookChannel: AlertChannel = {
  name: "webhook",
  async notify(tx, alert, transition) {
    const domainId = alert.domainPath
      ? alert.domainPath.split("/").filter(Boolean).at(-1)
      : (await tx.select({ id: domains.id }).from(domains).where(isNull(domains.parentId)))[0]?.id;
    if (!domainId) return;
    await queueWebhook(tx, {
      domainId,
      accountId: alert.accountId,
      event: `ALERT.${transition.toUpperCase()}`,
      payload: {
        id: alert.id,
        rule: alert.rule,
        severity: alert.severity,
        state: alert.state,
        title: alert.title,
        description: alert.description,
        subjectType: alert.subjectType,
        subjectName: alert.subjectName,
        openedAt: alert.openedAt,
        resolvedAt: alert.resolvedAt,
      },
    });
  },
};

/** The channels every alert change goes through (the portal is the alerts table itself). */
export const alertChannels: AlertChannel[] = [emailChannel, webhookChannel];
