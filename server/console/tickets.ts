import { createHash, randomBytes } from "node:crypto";
import { eq, lt } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { consoleTickets } from "@/db/schema";
import { consoleConfig } from "./config";

/**
 * Console tickets: random (256 bits), single-use, short-lived, bound to the user, the session and
 * the VM. Kept in the database (only a SHA-256 of each ticket), so a ticket issued by one portal
 * process opens the console through any other; redeeming deletes the row, so of two processes
 * redeeming the same ticket at once exactly one gets it.
 */
export interface TicketBinding {
  userId: string;
  sessionVersion: number;
  sessionId: string;
  instanceId: string;
}

const hash = (ticket: string) => createHash("sha256").update(ticket).digest("base64url");

export async function issueTicket(
  db: DbOrTx,
  binding: TicketBinding,
  ttlMs = consoleConfig.ticketTtlMs,
): Promise<{ ticket: string; expiresAt: Date }> {
  const now = Date.now();
  await db.delete(consoleTickets).where(lt(consoleTickets.expiresAt, new Date(now)));
  const ticket = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now + Math.min(ttlMs, 60_000));
  await db.insert(consoleTickets).values({ tokenHash: hash(ticket), ...binding, expiresAt });
  return { ticket, expiresAt };
}

export type RedeemResult = { ok: true; binding: TicketBinding } | { ok: false; reason: "unknown" | "expired" | "mismatch" };

/**
 * Redeems a ticket: the row is deleted whatever the outcome (single use: the delete is the
 * claim), then checked against what the connection presents (the VM of the URL; the user and
 * session of the cookie).
 */
export async function redeemTicket(db: DbOrTx, ticket: string, presented: TicketBinding): Promise<RedeemResult> {
  const [t] = await db
    .delete(consoleTickets)
    .where(eq(consoleTickets.tokenHash, hash(ticket)))
    .returning();
  if (!t) return { ok: false, reason: "unknown" };
  if (t.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired" };
  const same =
    t.instanceId === presented.instanceId &&
    t.userId === presented.userId &&
    t.sessionId === presented.sessionId &&
    t.sessionVersion === presented.sessionVersion;
  if (!same) return { ok: false, reason: "mismatch" };
  return { ok: true, binding: { userId: t.userId, sessionVersion: t.sessionVersion, sessionId: t.sessionId, instanceId: t.instanceId } };
}

/** For tests: how many tickets are waiting. */
export const pendingTickets = async (db: DbOrTx) => (await db.select({ h: consoleTickets.tokenHash }).from(consoleTickets)).length;
