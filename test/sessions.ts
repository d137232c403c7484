import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import type { DbOrTx } from "@/db";
import { users } from "@/db/schema";
import { startSession } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";

export interface TestLogin {
  caller: Caller;
  sid: string;
  sv: number;
  /** The JWT's claims, as the tRPC context and the console proxy read them. */
  claims: { uid: string; sv: number; sid: string };
  /** A Cookie header carrying the session JWT. */
  cookie: string;
}

/** A real sign-in below the login form: a sessions row and a next-auth JWT cookie naming it. */
export async function signInAs(
  db: DbOrTx,
  caller: Caller,
  secret: string,
  client: { ip?: string; userAgent?: string } = {},
): Promise<TestLogin> {
  const [u] = await db.select({ sv: users.sessionVersion }).from(users).where(eq(users.id, caller.userId));
  const sv = u!.sv;
  const sid = await startSession(db, {
    userId: caller.userId,
    sessionVersion: sv,
    ip: client.ip ?? "127.0.0.1",
    userAgent: client.userAgent ?? "vitest",
  });
  const claims = { uid: caller.userId, sv, sid };
  const token = await encode({ token: { ...claims, name: caller.username }, secret });
  return { caller, sid, sv, claims, cookie: `next-auth.session-token=${token}` };
}
