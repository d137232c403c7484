import { headers } from "next/headers";
import { getDb, type Db } from "@/db";
import { CLIENT_IP_HEADER } from "@/server/auth/client-ip";
import { checkSession } from "@/server/auth/session";
import { claimsFromCookie } from "@/server/auth/session-cookie";
import type { Caller } from "@/server/authz/caller";
import type { Context } from "./trpc";

/**
 * A request's context from its headers: the session cookie's claims, checked by checkSession (the
 * same reading and the same check as server pages and the console proxy).
 */
export async function contextFromHeaders(db: Db, h: Headers): Promise<Context> {
  const check = await checkSession(db, await claimsFromCookie(h.get("cookie")));
  return {
    db,
    caller: check.ok ? check.caller : null,
    session: check.ok ? check.session : null,
    ip: h.get(CLIENT_IP_HEADER) ?? "unknown",
  };
}

/** The signed-in caller of this server-rendered request (null when signed out or the session was ended). */
export async function currentCaller(): Promise<Caller | null> {
  return (await contextFromHeaders(getDb(), await headers())).caller;
}

export async function createRequestContext(opts: { req: Request }): Promise<Context> {
  return contextFromHeaders(getDb(), opts.req.headers);
}
