import { createHash, randomBytes } from "node:crypto";
import { eq, lt } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { consoleTickets } from "@/db/schema";
import { consoleConfig } from "./config";

/**
 * Console tickets: random (256 bits), single-use, short-lived, bound to the user, the session and
 * the VM; or, when asked for with an API key (createConsoleEndpoint), to the user, the key and
 * the VM: such a ticket needs no sign-in, and opens nothing once its key is revoked. Kept in the database (only a SHA-256 of each ticket), so a ticket issued by one portal
 * process opens the console through any other; redeeming deletes the row, so of two processes
 * redeeming the same ticket at once exactly one gets it.
 */
export interface TicketBinding {
  userId: string;
  sessionVersion: number;
  sessionId: string;
  instanceId: string;
  /** The API key the ticket was asked for with (then sessionId is `apikey:<id>`: no sign-in behind it). */
  apiKeyId?: string | null;
}

/** The session id an API-key ticket (and the console it opens) carries in place of a sign-in's. */
export const apiKeySessionId = (apiKeyId: string) => `apikey:${apiKeyId}`;

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

export type RedeemResult =
  | { ok: true; binding: TicketBinding }
  /** byKey: the ticket was an API key's (so a missing cookie is not why it was refused). */
  | { ok: false; reason: "unknown" | "expired" | "mismatch"; byKey?: boolean };

/**
 * Redeems a ticket: the row is deleted whatever the outcome (single use: the delete is the
 * claim), then checked against what the connection presents: the VM of the URL, and for a
 * sign-in's ticket the user and session of the cookie (`presented` null: no cookie). An API-key
 * ticket needs no cookie: the caller checks that its key is still live.
 */
export async function redeemTicket(
  db: DbOrTx,
  ticket: string,
  instanceId: string,
  presented: Omit<TicketBinding, "instanceId" | "apiKeyId"> | null,
): Promise<RedeemResult> {
  const [t] = await db
    .delete(consoleTickets)
    .where(eq(consoleTickets.tokenHash, hash(ticket)))
    .returning();
  if (!t) return { ok: false, reason: "unknown" };
  const byKey = t.apiKeyId !== null;
  if (t.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired", byKey };
  const same =
    t.instanceId === instanceId &&
    (t.apiKeyId !== null ||
      (presented !== null &&
        t.userId === presented.userId &&
        t.sessionId === presented.sessionId &&
        t.sessionVersion === presented.sessionVersion));
  if (!same) return { ok: false, reason: "mismatch", byKey };
  return {
    ok: true,
    binding: { userId: t.userId, sessionVersion: t.sessionVersion, sessionId: t.sessionId, instanceId: t.instanceId, apiKeyId: t.apiKeyId },
  };
}

/** For tests: how many tickets are waiting. */
export const pendingTickets = async (db: DbOrTx) => (await db.select({ h: consoleTickets.tokenHash }).from(consoleTickets)).length;
