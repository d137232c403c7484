import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db";
import { alerts } from "@/db/schema";
import { publishChange } from "@/server/core/changes";
import { retryOnDeadlock } from "@/server/core/retry";
import { logger } from "@/server/log";
import { alertChannels, type AlertChannel, type AlertTransition } from "./channels";
import { currentConditions, type Condition } from "./conditions";
import { effectiveRules } from "./rules";

export interface EvaluationResult {
  opened: number;
  changed: number;
  resolved: number;
  open: number;
}

/**
 * One evaluation: reads what holds now (conditions.ts, outside any transaction), then in one short
 * transaction opens an alert for each new condition (one open alert per rule and subject, by a
 * partial unique index, so two processes evaluating at once open it once), changes the severity of
 * those that moved, and resolves the open alerts whose condition cleared. Every change goes through
 * the channels in that transaction. Run by a schedule of the orchestrator (server/services/background.ts).
 */
export async function evaluateAlerts(db: Db, opts: { now?: Date; channels?: readonly AlertChannel[] } = {}): Promise<EvaluationResult> {
  const now = opts.now ?? new Date();
  const channels = opts.channels ?? alertChannels;
  const rules = await effectiveRules(db);
  const conditions = await currentConditions(db, rules, now);
  const key = (c: { rule: string; subjectKey: string }) => `${c.rule}\u0000${c.subjectKey}`;
  const wanted = new Map<string, Condition>(conditions.map((c) => [key(c), c]));

  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const result: EvaluationResult = { opened: 0, changed: 0, resolved: 0, open: 0 };
      const notify = async (a: typeof alerts.$inferSelect, t: AlertTransition) => {
        for (const ch of channels) await ch.notify(tx, a, t);
      };
      // The live streams (bell, Alerts page): every open, severity change and resolve, on commit.
      const publish = (a: typeof alerts.$inferSelect) =>
        publishChange(tx, { kind: "alert", id: a.id, accountId: a.accountId, domainPath: a.domainPath });
      const open = await tx.select().from(alerts).where(eq(alerts.state, "open")).for("update");
      const openByKey = new Map(open.map((a) => [key({ rule: a.rule, subjectKey: a.subjectKey }), a]));

      for (const [k, c] of wanted) {
        const existing = openByKey.get(k);
        if (!existing) {
          const [row] = await tx
            .insert(alerts)
            .values({
              rule: c.rule,
              subjectType: c.subjectType,
              subjectKey: c.subjectKey,
              subjectName: c.subjectName,
              severity: c.severity,
              title: c.title,
              description: c.description,
              accountId: c.accountId ?? null,
              domainPath: c.domainPath ?? null,
              details: c.details ?? null,
              openedAt: now,
              lastSeenAt: now,
            })
            .onConflictDoNothing()
            .returning();
          if (row) {
            result.opened++;
            await publish(row);
            await notify(row, "opened");
          }
          continue;
        }
        const escalated = existing.severity === "warning" && c.severity === "critical";
        const [row] = await tx
          .update(alerts)
          .set({
            severity: c.severity,
            title: c.title,
            description: c.description,
            details: c.details ?? null,
            subjectName: c.subjectName,
            lastSeenAt: now,
          })
          .where(eq(alerts.id, existing.id))
          .returning();
        if (existing.severity !== c.severity) {
          result.changed++;
          if (row) await publish(row);
        }
        if (escalated && row) await notify(row, "escalated");
      }

      const cleared = open.filter((a) => !wanted.has(key({ rule: a.rule, subjectKey: a.subjectKey })));
      if (cleared.length) {
        const rows = await tx
          .update(alerts)
          .set({ state: "resolved", resolvedAt: now })
          .where(
            and(
              eq(alerts.state, "open"),
              inArray(
                alerts.id,
                cleared.map((a) => a.id),
              ),
            ),
          )
          .returning();
        for (const row of rows) {
          result.resolved++;
          await publish(row);
          await notify(row, "resolved");
        }
      }
      result.open = wanted.size;
      if (result.opened || result.resolved || result.changed) logger().info({ ...result }, "[alerts] evaluated");
      return result;
    }),
  );
}
