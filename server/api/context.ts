import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { getDb } from "@/db";
import { CLIENT_IP_HEADER } from "@/server/auth/client-ip";
import { authOptions } from "@/server/auth/options";
import { checkSession, type SessionClaims } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import type { Context } from "./trpc";

/** The signed-in caller of this request (null when signed out or the session was ended). */
export async function currentCaller(): Promise<Caller | null> {
  const check = await checkSession(getDb(), (await getServerSession(authOptions)) as SessionClaims | null);
  return check.ok ? check.caller : null;
}

export async function createRequestContext(opts?: { req?: Request }): Promise<Context> {
  const check = await checkSession(getDb(), (await getServerSession(authOptions)) as SessionClaims | null);
  const reqHeaders = opts?.req?.headers ?? (await headers());
  return {
    db: getDb(),
    caller: check.ok ? check.caller : null,
    session: check.ok ? check.session : null,
    ip: reqHeaders.get(CLIENT_IP_HEADER) ?? "unknown",
  };
}
