import { and, eq } from "drizzle-orm";
import type { Db } from "@/db";
import { accounts, domains, users } from "@/db/schema";
import { recordEvent } from "@/server/core/events";
import { dummyHash, verifyPassword } from "./password";
import { startSession } from "./session";
import { beginAttempt, forgiveAttempt, sleep, throttlePolicy, type ThrottlePolicy } from "./throttle";

export type LoginResult =
  { ok: true; userId: string; sessionVersion: number; sessionId: string } | { ok: false; reason: "invalid" | "disabled" | "throttled" };

/**
 * Checks a username and password and, when they are right, starts a session (a `sessions` row).
 * Throttled per (username, address) and per address before any hash is computed (server/auth/
 * throttle.ts); unknown usernames cost the same as known ones; disabled or locked users and
 * accounts are refused even with the right password. `domainId` (CloudStack's login names the
 * user's domain) limits the match to users of that domain; `cloudstackKeyHash` marks the session
 * as a CloudStack API session (server/cloudstack/session.ts).
 */
export async function authenticate(
  db: Db,
  username: string,
  password: string,
  ip: string,
  opts: { userAgent?: string; policy?: ThrottlePolicy; domainId?: string; cloudstackKeyHash?: string } = {},
): Promise<LoginResult> {
  const verdict = await beginAttempt(db, username, ip, opts.policy ?? throttlePolicy());
  if (!verdict.allowed) return { ok: false, reason: "throttled" };
  if (verdict.delayMs) await sleep(verdict.delayMs);
  const [row] = await db
    .select({
      id: users.id,
      passwordHash: users.passwordHash,
      state: users.state,
      sessionVersion: users.sessionVersion,
      accountId: accounts.id,
      accountState: accounts.state,
      domainId: domains.id,
      domainPath: domains.path,
    })
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(and(eq(users.username, username.trim()), opts.domainId ? eq(accounts.domainId, opts.domainId) : undefined));
  const valid = await verifyPassword(password, row?.passwordHash ?? (await dummyHash()));
  if (!row || !valid) {
    if (row) {
      await recordEvent(db, {
        type: "USER.LOGIN.FAILED",
        level: "warn",
        description: `Failed login for ${username} from ${ip}`,
        accountId: row.accountId,
        domainId: row.domainId,
        domainPath: row.domainPath,
        resourceType: "user",
        resourceId: row.id,
      });
    }
    return { ok: false, reason: "invalid" };
  }
  if (row.state !== "enabled" || row.accountState !== "enabled") return { ok: false, reason: "disabled" };
  await forgiveAttempt(db, username, ip);
  const sessionId = await startSession(db, {
    userId: row.id,
    sessionVersion: row.sessionVersion,
    ip,
    userAgent: opts.userAgent ?? "",
    cloudstackKeyHash: opts.cloudstackKeyHash,
  });
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, row.id));
  await recordEvent(db, {
    type: "USER.LOGIN",
    description: `${username} logged in from ${ip}`,
    actorUserId: row.id,
    accountId: row.accountId,
    domainId: row.domainId,
    domainPath: row.domainPath,
    resourceType: "user",
    resourceId: row.id,
  });
  return { ok: true, userId: row.id, sessionVersion: row.sessionVersion, sessionId };
}
