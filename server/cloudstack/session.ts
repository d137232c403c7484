import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db";
import { domains, sessions, users } from "@/db/schema";
import { authenticate } from "@/server/auth/login";
import { checkSession, endSession, sessionLifetimes } from "@/server/auth/session";
import { parseCookies } from "@/server/auth/session-cookie";
import type { Caller } from "@/server/authz/caller";
import type { Command } from "./commands/types";
import type { CsBody } from "./envelope";
import { CsError } from "./errors";
import { commandParams, cs, type CsParams } from "./params";

/**
 * CloudStack's session login (command=login): the username and password start a Stratus session
 * (server/auth/login.ts: the same password check, login throttle, session row and events as the
 * portal's sign-in), answered with a session key and a JSESSIONID cookie naming the session row.
 * Later requests carry `sessionkey=<key>` and the cookie instead of apiKey and signature; each is
 * checked by checkSession (sign-out, idle and absolute expiry, a disabled user, a reset password
 * all end it, as for the portal). The key is 256 random bits, stored only as its SHA-256. logout
 * ends the session.
 */

/** What the HTTP request says beside its parameters. */
export interface CsHttp {
  method?: string;
  cookie?: string | null;
  ip?: string;
  userAgent?: string;
  /** Served over HTTPS: the cookie gets Secure. */
  secure?: boolean;
  /** The request's origin (scheme://host:port), for links the answer carries (console URLs). */
  origin?: string;
}

export const CS_SESSION_COOKIE = "JSESSIONID";
const AUTH_FAILED = "unable to verify user credentials";
/** A domain id no domain has: an unknown domain path still costs a full password check. */
const NO_DOMAIN = "00000000-0000-0000-0000-000000000000";

const keyHash = (key: string) => createHash("sha256").update(key).digest();

function cookie(value: string, http: CsHttp, clear = false) {
  return `${CS_SESSION_COOKIE}=${value}; Path=/client; HttpOnly; SameSite=Lax${http.secure ? "; Secure" : ""}${clear ? "; Max-Age=0" : ""}`;
}

export const loginParams = {
  username: cs.string("username"),
  password: cs.string("password"),
  domain: z.string().max(1000).optional(),
  domainid: cs.id("domainid").optional(),
};

/**
 * A domain by CloudStack's path ("/", "ROOT", "/Acme Cloud", "ROOT/Acme Cloud/Team A"; ROOT when
 * absent), walking names down from ROOT; null when no live domain has that path.
 */
async function domainIdByPath(db: Db, path: string | undefined): Promise<string | null> {
  const names = (path ?? "").split("/").filter(Boolean);
  if (names[0]?.toUpperCase() === "ROOT") names.shift();
  const [root] = await db
    .select({ id: domains.id })
    .from(domains)
    .where(and(isNull(domains.parentId), isNull(domains.removedAt)));
  let id = root?.id ?? null;
  for (const name of names) {
    if (!id) return null;
    const [child] = await db
      .select({ id: domains.id })
      .from(domains)
      .where(and(eq(domains.parentId, id), eq(domains.name, name), isNull(domains.removedAt)));
    id = child?.id ?? null;
  }
  return id;
}

const ACCOUNT_TYPE = { user: "0", root_admin: "1", domain_admin: "2" } as const;

async function login(db: Db, p: CsParams, http: CsHttp): Promise<{ body: CsBody; cookies: string[] }> {
  // As CloudStack: the password must not travel in a URL (and so in access logs).
  if (http.method?.toUpperCase() !== "POST") throw new CsError(431, "Please use HTTP POST to log in");
  const a = commandParams(loginParams, p);
  const domainId = a.domainid ?? (await domainIdByPath(db, a.domain)) ?? NO_DOMAIN;
  const sessionKey = randomBytes(32).toString("base64url");
  const r = await authenticate(db, a.username, a.password, http.ip ?? "unknown", {
    userAgent: http.userAgent,
    domainId,
    cloudstackKeyHash: keyHash(sessionKey).toString("hex"),
  });
  if (!r.ok) {
    if (r.reason === "throttled") throw new CsError(429, "Too many login attempts; wait a few minutes and try again");
    // One answer for an unknown user, a wrong password or domain, and a disabled user: nothing to probe.
    throw new CsError(531, `Failed to authenticate user ${a.username} in domain ${a.domain ?? "ROOT"}; please provide valid credentials`);
  }
  const check = await checkSession(db, { uid: r.userId, sv: r.sessionVersion, sid: r.sessionId });
  if (!check.ok) throw new CsError(401, AUTH_FAILED);
  const c = check.caller;
  const [u] = await db.select({ firstName: users.firstName, lastName: users.lastName }).from(users).where(eq(users.id, c.userId));
  return {
    body: {
      username: c.username,
      userid: c.userId,
      domainid: c.domainId,
      timeout: Math.floor(sessionLifetimes().idleMs / 1000),
      account: c.accountName,
      firstname: u?.firstName ?? undefined,
      lastname: u?.lastName ?? undefined,
      type: ACCOUNT_TYPE[c.accountType],
      registered: "false",
      sessionkey: sessionKey,
      is2faenabled: "false",
    },
    cookies: [cookie(r.sessionId, http)],
  };
}

/** The caller of a request carrying `sessionkey` and the session cookie; 401 unless both name a live CloudStack session. */
async function sessionCaller(db: Db, sessionKey: string, http: CsHttp, now: Date): Promise<{ caller: Caller; sessionId: string }> {
  const sid = parseCookies(http.cookie).get(CS_SESSION_COOKIE);
  if (!sid || !sessionKey) throw new CsError(401, AUTH_FAILED);
  const [row] = await db
    .select({ userId: sessions.userId, sv: sessions.sessionVersion, hash: sessions.cloudstackKeyHash })
    .from(sessions)
    .where(eq(sessions.id, sid));
  const given = keyHash(sessionKey);
  const stored = Buffer.from(row?.hash ?? "", "hex");
  if (!row || stored.length !== given.length || !timingSafeEqual(stored, given)) throw new CsError(401, AUTH_FAILED);
  // The portal's own rule for a session (ended, expired, user or account disabled, password reset).
  const check = await checkSession(db, { uid: row.userId, sv: row.sv, sid }, now);
  if (!check.ok) throw new CsError(401, AUTH_FAILED);
  return { caller: check.caller, sessionId: sid };
}

/** A request that authenticates with a session (sessionkey without apiKey), rather than a signature. */
export const isSessionRequest = (p: CsParams) => !p.byName.has("apikey") && p.byName.has("sessionkey");

/**
 * login, logout, and any command run with a session key: `run` runs the command as the session's
 * caller. Answers the body and the cookies to set.
 */
export async function sessionRequest(
  db: Db,
  command: Command | undefined,
  p: CsParams,
  http: CsHttp,
  now: Date,
  run: (caller: Caller) => Promise<CsBody>,
): Promise<{ body: CsBody; cookies: string[] }> {
  if (command?.name === "login") return login(db, p, http);
  const s = await sessionCaller(db, p.byName.get("sessionkey") ?? "", http, now);
  if (command?.name !== "logout") return { body: await run(s.caller), cookies: [] };
  commandParams({}, p);
  await endSession(db, s.sessionId, "signed_out");
  return { body: { description: "success" }, cookies: [cookie("", http, true)] };
}
