import { createHash, randomBytes } from "node:crypto";
import { consoleConfig } from "./config";

/**
 * Console tickets: random (256 bits), single-use, short-lived, bound to the user, the session and
 * the VM. Kept in this process's memory (on globalThis, so the tRPC handler inside Next.js and the
 * upgrade handler in server.ts share them); only a hash of each ticket is stored.
 *
 * Limitation: a ticket is only valid in the process that issued it. Several portal processes
 * behind one address need sticky routing for /api/trpc/console.ticket and /api/console/…, or a
 * shared store (a table) instead of this map.
 */
export interface TicketBinding {
  userId: string;
  sessionVersion: number;
  sessionId: string;
  instanceId: string;
}

interface Stored extends TicketBinding {
  expiresAt: number;
}

const g = globalThis as unknown as { __stratusConsoleTickets?: Map<string, Stored> };
const store = () => (g.__stratusConsoleTickets ??= new Map());

const hash = (ticket: string) => createHash("sha256").update(ticket).digest("base64url");

function sweep(now: number) {
  for (const [k, v] of store()) if (v.expiresAt <= now) store().delete(k);
}

export function issueTicket(binding: TicketBinding, ttlMs = consoleConfig.ticketTtlMs): { ticket: string; expiresAt: Date } {
  const now = Date.now();
  sweep(now);
  const ticket = randomBytes(32).toString("base64url");
  const expiresAt = now + Math.min(ttlMs, 60_000);
  store().set(hash(ticket), { ...binding, expiresAt });
  return { ticket, expiresAt: new Date(expiresAt) };
}

export type RedeemResult = { ok: true; binding: TicketBinding } | { ok: false; reason: "unknown" | "expired" | "mismatch" };

/**
 * Redeems a ticket: it is removed whatever the outcome (single use), then checked against what
 * the connection presents (the VM of the URL; the user and session of the cookie).
 */
export function redeemTicket(ticket: string, presented: TicketBinding): RedeemResult {
  const now = Date.now();
  const key = hash(ticket);
  const t = store().get(key);
  store().delete(key);
  sweep(now);
  if (!t) return { ok: false, reason: "unknown" };
  if (t.expiresAt <= now) return { ok: false, reason: "expired" };
  const same =
    t.instanceId === presented.instanceId &&
    t.userId === presented.userId &&
    t.sessionId === presented.sessionId &&
    t.sessionVersion === presented.sessionVersion;
  if (!same) return { ok: false, reason: "mismatch" };
  const { expiresAt: _unused, ...binding } = t;
  void _unused;
  return { ok: true, binding };
}

/** For tests: how many tickets are waiting. */
export const pendingTickets = () => store().size;
