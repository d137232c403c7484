import { randomBytes } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, domains, sessions, users } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { closeConsolesOfSessions } from "@/server/console/registry";
import { env } from "@/server/env";
import { notFound } from "@/server/core/errors";

/**
 * Sessions: one `sessions` row per sign-in, named by the JWT's `sid` claim. checkSession is THE
 * check of a request's session, used by the tRPC context, server-rendered pages (currentCaller)
 * and the console proxy; it re-reads the session row, the user, the account and the domain on
 * every request, so sign-out, "sign out other sessions", idle and absolute expiry, a disabled or
 * locked user or account, and a reset password (sessionVersion bump) all take effect at once, in
 * every process.
 */

export interface SessionClaims {
  uid?: unknown;
  sv?: unknown;
  sid?: unknown;
}

export type SessionCheck =
  | { ok: true; caller: Caller; session: { id: string; version: number } }
  /** ended: signed out (here or elsewhere); expired: idle or absolute lifetime; revoked: the user or account lost access. */
  | { ok: false; reason: "missing" | "ended" | "expired" | "revoked" };

export function sessionLifetimes() {
  const e = env();
  return { idleMs: e.STRATUS_SESSION_IDLE_MINUTES * 60_000, maxMs: e.STRATUS_SESSION_MAX_HOURS * 3_600_000 };
}

/** last_seen_at is written at most this often per session. */
const TOUCH_MS = 60_000;

const callerColumns = {
  userId: users.id,
  username: users.username,
  userState: users.state,
  userSessionVersion: users.sessionVersion,
  accountId: accounts.id,
  accountName: accounts.name,
  accountType: accounts.type,
  accountState: accounts.state,
  domainId: domains.id,
  domainPath: domains.path,
};

type CallerRow = { [K in keyof typeof callerColumns]: (typeof callerColumns)[K]["_"]["data"] };

/** The one rule for "may this user act": user and account enabled, session version current. */
function toCaller(row: CallerRow, sessionVersion: number): Caller | null {
  if (row.userState !== "enabled" || row.accountState !== "enabled" || row.userSessionVersion !== sessionVersion) return null;
  return {
    userId: row.userId,
    username: row.username,
    accountId: row.accountId,
    accountName: row.accountName,
    accountType: row.accountType,
    domainId: row.domainId,
    domainPath: row.domainPath,
  };
}

/** A user id and session version as a Caller (for callers that hold no session: tests, scripts). */
export async function resolveCaller(db: DbOrTx, userId: string, sessionVersion: number): Promise<Caller | null> {
  const [row] = await db
    .select(callerColumns)
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(users.id, userId));
  return row ? toCaller(row, sessionVersion) : null;
}

/**
 * Checks a session's claims (from the JWT) against its row; refreshes last_seen_at now and then.
 * `touch: false` for re-checks that are not the user's activity (a live stream left open), so an
 * idle tab still expires.
 */
export async function checkSession(
  db: DbOrTx,
  claims: SessionClaims | null | undefined,
  now = new Date(),
  opts: { touch?: boolean } = {},
): Promise<SessionCheck> {
  const { uid, sv, sid } = claims ?? {};
  if (typeof uid !== "string" || typeof sid !== "string" || !sid) return { ok: false, reason: "missing" };
  const [row] = await db
    .select({
      ...callerColumns,
      sessionUserId: sessions.userId,
      sessionVersion: sessions.sessionVersion,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      endedAt: sessions.endedAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(sessions.id, sid));
  if (!row || row.sessionUserId !== uid) return { ok: false, reason: "missing" };
  if (row.endedAt) return { ok: false, reason: "ended" };
  const { idleMs, maxMs } = sessionLifetimes();
  const t = now.getTime();
  if (t - row.lastSeenAt.getTime() > idleMs || t - row.createdAt.getTime() > maxMs) return { ok: false, reason: "expired" };
  const claimed = typeof sv === "number" ? sv : 0;
  const caller = claimed === row.sessionVersion ? toCaller(row, row.sessionVersion) : null;
  if (!caller) return { ok: false, reason: "revoked" };
  if (opts.touch !== false && t - row.lastSeenAt.getTime() > TOUCH_MS) {
    await db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.id, sid), lt(sessions.lastSeenAt, new Date(t - TOUCH_MS))));
  }
  return { ok: true, caller, session: { id: sid, version: row.sessionVersion } };
}

/** A new session row for a successful sign-in; returns its id (the JWT's `sid`). */
export async function startSession(
  db: DbOrTx,
  s: { userId: string; sessionVersion: number; ip: string; userAgent: string; cloudstackKeyHash?: string },
): Promise<string> {
  const id = randomBytes(16).toString("base64url");
  // Rows older than a month are no use to anyone (the known-address check looks back a month).
  await db.delete(sessions).where(and(eq(sessions.userId, s.userId), lt(sessions.createdAt, new Date(Date.now() - 30 * 86_400_000))));
  await db.insert(sessions).values({
    id,
    userId: s.userId,
    sessionVersion: s.sessionVersion,
    ip: s.ip,
    userAgent: s.userAgent.slice(0, 400),
    cloudstackKeyHash: s.cloudstackKeyHash,
  });
  return id;
}

export type EndReason = "signed_out" | "ended_by_user" | "password_changed";

/** Ends one session (sign-out); its open consoles in this process close now, elsewhere at their next check. */
export async function endSession(db: DbOrTx, id: string, reason: EndReason): Promise<boolean> {
  const ended = await db
    .update(sessions)
    .set({ endedAt: new Date(), endedReason: reason })
    .where(and(eq(sessions.id, id), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  closeConsolesOfSessions(ended.map((r) => r.id));
  return ended.length > 0;
}

/** Active: not ended, within both lifetimes, and of the user's current session version. */
function activeOf(userId: string, now = Date.now()) {
  const { idleMs, maxMs } = sessionLifetimes();
  return and(
    eq(sessions.userId, userId),
    isNull(sessions.endedAt),
    gt(sessions.lastSeenAt, new Date(now - idleMs)),
    gt(sessions.createdAt, new Date(now - maxMs)),
    eq(sessions.sessionVersion, sql`(select ${users.sessionVersion} from ${users} where ${users.id} = ${userId})`),
  );
}

export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  userAgent: string;
  current: boolean;
}

/** The caller's active sessions, the current one first, then the most recently seen. */
export async function listOwnSessions(db: DbOrTx, caller: Caller, currentId: string | null | undefined): Promise<SessionInfo[]> {
  const rows = await db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(activeOf(caller.userId))
    .orderBy(desc(sessions.lastSeenAt));
  const out = rows.map((r) => ({ ...r, current: r.id === currentId }));
  return [...out.filter((r) => r.current), ...out.filter((r) => !r.current)];
}

/** Ends one of the caller's own sessions; another user's session id is NOT_FOUND. */
export async function endOwnSession(db: DbOrTx, caller: Caller, id: string): Promise<void> {
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, id), activeOf(caller.userId)));
  if (!row) throw notFound("Session");
  await endSession(db, id, "ended_by_user");
}

/** Ends every session of the caller but `keepId` (the current one); returns how many ended. */
export async function endOtherSessions(db: DbOrTx, userId: string, keepId: string | null | undefined, reason: EndReason): Promise<number> {
  const ended = await db
    .update(sessions)
    .set({ endedAt: new Date(), endedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), keepId ? ne(sessions.id, keepId) : undefined))
    .returning({ id: sessions.id });
  closeConsolesOfSessions(ended.map((r) => r.id));
  return ended.length;
}
