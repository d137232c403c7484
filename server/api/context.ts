import { getServerSession } from "next-auth";
import { getDb } from "@/db";
import { authOptions } from "@/server/auth/options";
import { resolveCaller } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import type { Context } from "./trpc";

type SessionClaims = { uid?: string; sv?: number; sid?: string } | null;

/** The signed-in caller of this request (null when signed out or the session was ended). */
export async function currentCaller(): Promise<Caller | null> {
  const session = (await getServerSession(authOptions)) as SessionClaims;
  if (!session?.uid) return null;
  return resolveCaller(getDb(), session.uid, session.sv ?? 0);
}

export async function createRequestContext(): Promise<Context> {
  const session = (await getServerSession(authOptions)) as SessionClaims;
  const caller = session?.uid ? await resolveCaller(getDb(), session.uid, session.sv ?? 0) : null;
  return { db: getDb(), caller, session: caller && session ? { id: session.sid ?? null, version: session.sv ?? 0 } : null };
}
