import { and, asc, eq, lte, sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import type { Db } from "@/db";
import { alertDeliveries } from "@/db/schema";
import { env } from "@/server/env";
import { logger } from "@/server/log";

/** A delivery is tried this many times (backing off 1, 2, 4 … minutes), then marked failed. */
export const MAX_EMAIL_ATTEMPTS = 6;

/** The SMTP transport from the environment, or null when no SMTP server is configured. */
export function smtpTransport(): Transporter | null {
  const e = env();
  if (!e.STRATUS_SMTP_HOST) return null;
  return nodemailer.createTransport({
    host: e.STRATUS_SMTP_HOST,
    port: e.STRATUS_SMTP_PORT,
    secure: e.STRATUS_SMTP_SECURE === "1",
    requireTLS: e.STRATUS_SMTP_REQUIRE_TLS === "1",
    auth: e.STRATUS_SMTP_USER ? { user: e.STRATUS_SMTP_USER, pass: e.STRATUS_SMTP_PASSWORD ?? "" } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

/**
 * Sends the pending alert e-mails (the outbox written by the e-mail channel), one at a time and
 * outside any transaction; a failure is retried with backoff, then recorded as failed. Without an
 * SMTP server configured, pending rows wait (they are sent once one is).
 */
export async function sendPendingAlertEmails(db: Db, opts: { now?: Date; limit?: number } = {}) {
  const transport = smtpTransport();
  if (!transport) return { sent: 0, failed: 0 };
  const now = opts.now ?? new Date();
  const due = await db
    .select()
    .from(alertDeliveries)
    .where(and(eq(alertDeliveries.status, "pending"), eq(alertDeliveries.channel, "email"), lte(alertDeliveries.nextAttemptAt, now)))
    .orderBy(asc(alertDeliveries.createdAt))
    .limit(opts.limit ?? 50);
  let sent = 0;
  let failed = 0;
  try {
    for (const d of due) {
      // Claim it: another process sending at the same moment skips it.
      const [claimed] = await db
        .update(alertDeliveries)
        .set({ attempts: sql`${alertDeliveries.attempts} + 1`, nextAttemptAt: new Date(now.getTime() + 5 * 60_000) })
        .where(and(eq(alertDeliveries.id, d.id), eq(alertDeliveries.status, "pending"), eq(alertDeliveries.attempts, d.attempts)))
        .returning();
      if (!claimed) continue;
      try {
        await transport.sendMail({ from: env().STRATUS_SMTP_FROM, to: d.recipient, subject: d.subject, text: d.body });
        await db.update(alertDeliveries).set({ status: "sent", sentAt: new Date(), lastError: null }).where(eq(alertDeliveries.id, d.id));
        sent++;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const final = claimed.attempts >= MAX_EMAIL_ATTEMPTS;
        await db
          .update(alertDeliveries)
          .set({
            status: final ? "failed" : "pending",
            lastError: message.slice(0, 500),
            nextAttemptAt: new Date(now.getTime() + 60_000 * 2 ** (claimed.attempts - 1)),
          })
          .where(eq(alertDeliveries.id, d.id));
        logger().warn({ deliveryId: d.id, attempt: claimed.attempts, err: message }, "[alerts] e-mail failed");
        if (final) failed++;
      }
    }
  } finally {
    transport.close();
  }
  return { sent, failed };
}
