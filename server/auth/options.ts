import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb, type Db } from "@/db";
import { env } from "@/server/env";
import { CLIENT_IP_HEADER } from "./client-ip";
import { authenticate } from "./login";
import { endSession } from "./session";

/** Login error codes the login page turns into messages. */
export const loginErrors = {
  invalid: "Wrong username or password",
  disabled: "This user or its account is disabled or locked",
  throttled: "Too many login attempts; wait a few minutes and try again",
} as const;

function header(headers: Record<string, unknown> | undefined, name: string): string {
  const v = headers?.[name];
  return typeof v === "string" ? v : "";
}

/** next-auth's sign-out event: the JWT's session row ends, so a copy of the cookie is worth nothing. */
export async function onSignOut(db: Db, token: unknown) {
  const sid = (token as { sid?: unknown } | null)?.sid;
  if (typeof sid === "string") await endSession(db, sid, "signed_out");
}

export const authOptions: NextAuthOptions = {
  // The JWT lives as long as the absolute session lifetime; the sessions row decides before that.
  session: { strategy: "jwt", maxAge: env().STRATUS_SESSION_MAX_HOURS * 3600 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Stratus",
      credentials: { username: { label: "Username", type: "text" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const username = credentials?.username ?? "";
        const password = credentials?.password ?? "";
        if (!username || !password) throw new Error("invalid");
        // server.ts overwrites the client-address header (from the socket, or a trusted proxy's X-Forwarded-For).
        const ip = header(req?.headers, CLIENT_IP_HEADER) || "unknown";
        const result = await authenticate(getDb(), username, password, ip, { userAgent: header(req?.headers, "user-agent") });
        if (!result.ok) throw new Error(result.reason);
        return { id: result.userId, name: username, sessionVersion: result.sessionVersion, sid: result.sessionId };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        const u = user as { id: string; sessionVersion?: number; sid?: string };
        token.uid = u.id;
        token.sv = u.sessionVersion ?? 0;
        // The sessions row of this sign-in: every request checks it (server/auth/session.ts).
        token.sid = u.sid;
      }
      return token;
    },
    session({ session, token }) {
      return { ...session, uid: token.uid as string, sv: token.sv as number, sid: token.sid as string | undefined };
    },
  },
  events: {
    signOut: ({ token }) => onSignOut(getDb(), token),
  },
};
