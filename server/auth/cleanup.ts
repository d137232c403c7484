import { lt, or, isNotNull, and } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { consoleTickets, loginThrottle, sessions } from "@/db/schema";
import { sessionLifetimes } from "./session";
import { throttlePolicy } from "./throttle";

/** Ended or lapsed sessions stay this long (a user's "recent sign-ins" and an admin's questions), then go. */
export const ENDED_SESSION_RETENTION_MS = 7 * 86_400_000;

/**
 * Deletes the rows sign-ins leave behind once they can no longer matter: sessions ended, idle or
 * past their absolute lifetime for longer than the retention, throttle windows that have closed,
 * and console tickets past their expiry. A schedule of the orchestrator runs it; every delete is
 * by an indexed time column, so it stays cheap on a busy portal.
 */
export async function purgeStaleAuthRows(db: DbOrTx, now = new Date()) {
  const { idleMs, maxMs } = sessionLifetimes();
  const retention = new Date(now.getTime() - ENDED_SESSION_RETENTION_MS);
  const goneSessions = await db
    .delete(sessions)
    .where(
      or(
        and(isNotNull(sessions.endedAt), lt(sessions.endedAt, retention)),
        // Idle past the idle lifetime (and the retention): no request can revive it.
        lt(sessions.lastSeenAt, new Date(now.getTime() - idleMs - ENDED_SESSION_RETENTION_MS)),
        // Past the absolute lifetime (and the retention).
        lt(sessions.createdAt, new Date(now.getTime() - maxMs - ENDED_SESSION_RETENTION_MS)),
      ),
    )
    .returning({ id: sessions.id });
  const goneWindows = await db
    .delete(loginThrottle)
    .where(lt(loginThrottle.windowStart, new Date(now.getTime() - throttlePolicy().windowMs)))
    .returning({ key: loginThrottle.key });
  const goneTickets = await db
    .delete(consoleTickets)
    .where(lt(consoleTickets.expiresAt, now))
    .returning({ hash: consoleTickets.tokenHash });
  return { sessions: goneSessions.length, throttleWindows: goneWindows.length, consoleTickets: goneTickets.length };
}
