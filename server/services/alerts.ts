import { and, count, desc, eq, gt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { alertRuleSettings, alerts, alertSubscriptions } from "@/db/schema";
import { type Caller, domainPathCondition, isDomainAdmin, isRootAdmin } from "@/server/authz/caller";
import { badRequest } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { alertRuleDefinitions, type AlertRuleKey, effectiveRules } from "@/server/alerts/rules";
import type { ListAlertsInput, SetAlertSubscriptionInput, UpdateAlertRuleInput } from "@/lib/validation/alerts";
import { listAlertsInput } from "@/lib/validation/alerts";
import { assertInfra } from "./infrastructure/common";

/**
 * Alerts as each caller may see them: the root admin every alert; a reseller the alerts about its
 * subtree's accounts; a tenant its own account's. Infrastructure alerts carry no account, so only
 * the root admin sees them. Subject keys (which name hosts) never leave the server.
 */
export function alertScope(c: Caller): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  if (isDomainAdmin(c)) return domainPathCondition(c, alerts.domainPath);
  return eq(alerts.accountId, c.accountId);
}

async function lastReadAt(db: DbOrTx, c: Caller): Promise<Date | null> {
  const [s] = await db
    .select({ at: alertSubscriptions.lastReadAt })
    .from(alertSubscriptions)
    .where(eq(alertSubscriptions.userId, c.userId));
  return s?.at ?? null;
}

export async function listAlerts(db: DbOrTx, c: Caller, raw: ListAlertsInput) {
  const input = listAlertsInput.parse(raw);
  const where = and(
    alertScope(c),
    input.state === "all" ? undefined : eq(alerts.state, input.state),
    input.severity ? eq(alerts.severity, input.severity) : undefined,
  );
  const [rows, [total], readAt] = await Promise.all([
    db
      .select({
        id: alerts.id,
        rule: alerts.rule,
        subjectType: alerts.subjectType,
        subjectName: alerts.subjectName,
        severity: alerts.severity,
        state: alerts.state,
        title: alerts.title,
        description: alerts.description,
        openedAt: alerts.openedAt,
        lastSeenAt: alerts.lastSeenAt,
        resolvedAt: alerts.resolvedAt,
      })
      .from(alerts)
      .where(where)
      .orderBy(desc(alerts.openedAt), desc(alerts.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.select({ n: count() }).from(alerts).where(where),
    lastReadAt(db, c),
  ]);
  return {
    items: rows.map((r) => ({ ...r, unread: r.state === "open" && (!readAt || r.openedAt > readAt) })),
    total: total?.n ?? 0,
  };
}

/** The bell: open alerts in scope, and those opened since the user last read them. */
export async function alertCounts(db: DbOrTx, c: Caller) {
  const readAt = await lastReadAt(db, c);
  const scope = and(alertScope(c), eq(alerts.state, "open"));
  const [[open], [unread]] = await Promise.all([
    db.select({ n: count() }).from(alerts).where(scope),
    db
      .select({ n: count() })
      .from(alerts)
      .where(and(scope, readAt ? gt(alerts.openedAt, readAt) : undefined)),
  ]);
  return { open: open?.n ?? 0, unread: unread?.n ?? 0 };
}

export async function markAlertsRead(db: DbOrTx, c: Caller) {
  const now = new Date();
  await db
    .insert(alertSubscriptions)
    .values({ userId: c.userId, lastReadAt: now })
    .onConflictDoUpdate({ target: alertSubscriptions.userId, set: { lastReadAt: now } });
  return { readAt: now };
}

export async function getAlertSubscription(db: DbOrTx, c: Caller) {
  const [s] = await db.select().from(alertSubscriptions).where(eq(alertSubscriptions.userId, c.userId));
  return { email: s?.email ?? false, minSeverity: s?.minSeverity ?? "warning" };
}

/** A user subscribes (or not) to e-mail for the alerts they can see. */
export async function setAlertSubscription(db: DbOrTx, c: Caller, input: SetAlertSubscriptionInput) {
  await db
    .insert(alertSubscriptions)
    .values({ userId: c.userId, email: input.email, minSeverity: input.minSeverity })
    .onConflictDoUpdate({ target: alertSubscriptions.userId, set: { email: input.email, minSeverity: input.minSeverity } });
  return getAlertSubscription(db, c);
}

/** The rules with their thresholds (root admin). */
export async function listAlertRules(db: DbOrTx, c: Caller) {
  assertInfra(c, "read");
  return (await effectiveRules(db)).map((r) => ({
    rule: r.rule,
    title: r.title,
    description: r.description,
    audience: r.audience,
    enabled: r.enabled,
    unit: r.thresholds?.unit ?? null,
    warning: r.warning,
    critical: r.critical,
    defaults: r.thresholds ? { warning: r.thresholds.warning, critical: r.thresholds.critical } : null,
  }));
}

/** Switches a rule on or off and sets its thresholds (root admin); the next evaluation applies them. */
export async function updateAlertRule(db: DbOrTx, c: Caller, input: UpdateAlertRuleInput) {
  assertInfra(c, "manage");
  if (!(input.rule in alertRuleDefinitions)) throw badRequest(`Unknown alert rule ${input.rule}`, "rule");
  const def = alertRuleDefinitions[input.rule as AlertRuleKey];
  if (!def.thresholds && (input.warning != null || input.critical != null))
    throw badRequest(`Rule ${input.rule} has no thresholds`, "warning");
  const current = (await effectiveRules(db)).find((r) => r.rule === input.rule)!;
  const warning = def.thresholds ? (input.warning ?? current.warning) : null;
  const critical = def.thresholds ? (input.critical ?? current.critical) : null;
  if (warning !== null && critical !== null && warning > critical)
    throw badRequest("The warning threshold must not be above the critical one", "warning");
  await db.transaction(async (tx) => {
    await tx
      .insert(alertRuleSettings)
      .values({ rule: input.rule, enabled: input.enabled, warning, critical, updatedBy: c.userId })
      .onConflictDoUpdate({ target: alertRuleSettings.rule, set: { enabled: input.enabled, warning, critical, updatedBy: c.userId } });
    await recordEvent(tx, {
      type: "ALERT.RULE.UPDATE",
      description: `Alert rule ${input.rule} ${input.enabled ? "enabled" : "disabled"}${warning !== null ? ` (warning ${warning}, critical ${critical})` : ""}`,
      actorUserId: c.userId,
      details: { rule: input.rule, enabled: input.enabled, warning, critical },
    });
  });
  return (await listAlertRules(db, c)).find((r) => r.rule === input.rule)!;
}
