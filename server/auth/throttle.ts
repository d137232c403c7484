import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { loginThrottle, sessions, users } from "@/db/schema";
import { env } from "@/server/env";

/**
 * The password-guessing throttle, shared by every process through the database. Fixed windows,
 * counted per (username, address) and per address; an attempt is counted BEFORE the password is
 * checked (one atomic upsert, so parallel guesses cannot slip past the limit) and forgiven when it
 * succeeds, so only failures add up.
 *
 * A per-username backstop catches guessing spread over many addresses, but it only slows sign-ins
 * down (a delay) and never for an address the user signed in from before: nobody can lock a user
 * out of their own account by failing logins in their name.
 */
export interface ThrottlePolicy {
  windowMs: number;
  /** Failures per (username, address) per window. */
  pairMax: number;
  /** Failures per address per window (all usernames). */
  addressMax: number;
  /** Failures per username per window (all addresses) before unknown addresses are slowed down. */
  userBackstop: number;
  backstopDelayMs: number;
}

export function throttlePolicy(): ThrottlePolicy {
  const e = env();
  return {
    windowMs: e.STRATUS_LOGIN_WINDOW_MINUTES * 60_000,
    pairMax: e.STRATUS_LOGIN_MAX_PER_USER_ADDRESS,
    addressMax: e.STRATUS_LOGIN_MAX_PER_ADDRESS,
    userBackstop: e.STRATUS_LOGIN_USER_BACKSTOP,
    backstopDelayMs: e.STRATUS_LOGIN_BACKSTOP_DELAY_MS,
  };
}

const keysOf = (username: string, ip: string) => {
  const u = username.trim().toLowerCase();
  return { pair: `pair:${u}|${ip}`, addr: `addr:${ip}`, user: `user:${u}` };
};

export type AttemptVerdict = { allowed: false } | { allowed: true; delayMs: number };

/** Counts an attempt for (username, address); says whether it may go on, and after what delay. */
export async function beginAttempt(db: DbOrTx, username: string, ip: string, policy = throttlePolicy()): Promise<AttemptVerdict> {
  const k = keysOf(username, ip);
  const now = new Date();
  const stale = new Date(now.getTime() - policy.windowMs);
  // Dates inside raw SQL go as ISO text with a cast (postgres.js does not serialise a Date there).
  const windowOver = sql`${loginThrottle.windowStart} <= ${stale.toISOString()}::timestamptz`;
  const rows = await db
    .insert(loginThrottle)
    .values([k.pair, k.addr, k.user].map((key) => ({ key, windowStart: now, count: 1 })))
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        count: sql`case when ${windowOver} then 1 else ${loginThrottle.count} + 1 end`,
        windowStart: sql`case when ${windowOver} then ${now.toISOString()}::timestamptz else ${loginThrottle.windowStart} end`,
      },
    })
    .returning({ key: loginThrottle.key, count: loginThrottle.count });
  const count = (key: string) => rows.find((r) => r.key === key)?.count ?? 0;
  // Now and then, drop windows that are over (unknown usernames would otherwise pile up).
  if (Math.random() < 0.02) await db.delete(loginThrottle).where(lt(loginThrottle.windowStart, stale));
  if (count(k.pair) > policy.pairMax || count(k.addr) > policy.addressMax) return { allowed: false };
  if (count(k.user) > policy.userBackstop && !(await knownAddress(db, username, ip)))
    return { allowed: true, delayMs: policy.backstopDelayMs };
  return { allowed: true, delayMs: 0 };
}

/** A successful attempt: it does not count, and the (username, address) window starts afresh. */
export async function forgiveAttempt(db: DbOrTx, username: string, ip: string) {
  const k = keysOf(username, ip);
  await db.delete(loginThrottle).where(eq(loginThrottle.key, k.pair));
  await db
    .update(loginThrottle)
    .set({ count: sql`greatest(${loginThrottle.count} - 1, 0)` })
    .where(sql`${loginThrottle.key} in (${k.addr}, ${k.user})`);
}

/** Did this user sign in from this address in the last month? (Its sessions say so.) */
async function knownAddress(db: DbOrTx, username: string, ip: string): Promise<boolean> {
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sql`lower(${users.username})`, username.trim().toLowerCase()),
        eq(sessions.ip, ip),
        gt(sessions.createdAt, new Date(Date.now() - 30 * 86_400_000)),
      ),
    )
    .limit(1);
  return Boolean(row);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
