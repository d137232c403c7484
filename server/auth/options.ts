import { randomBytes } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/db";
import { signOutSession } from "@/server/console/registry";
import { authenticate } from "./login";

/** Login error codes the login page turns into messages. */
export const loginErrors = {
  invalid: "Wrong username or password",
  disabled: "This user or its account is disabled or locked",
  throttled: "Too many login attempts; wait a few minutes and try again",
} as const;

function clientIp(headers: Record<string, unknown> | undefined): string {
  // server.ts overwrites x-stratus-client-ip with the socket's address, so a browser cannot forge it.
  const v = headers?.["x-stratus-client-ip"];
  return typeof v === "string" && v ? v : "unknown";
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Stratus",
      credentials: { username: { label: "Username", type: "text" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const username = credentials?.username ?? "";
        const password = credentials?.password ?? "";
        if (!username || !password) throw new Error("invalid");
        const result = await authenticate(getDb(), username, password, clientIp(req?.headers));
        if (!result.ok) throw new Error(result.reason);
        return { id: result.userId, name: username, sessionVersion: result.sessionVersion };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
        // One id per sign-in: console tickets are bound to it, and sign-out ends its consoles.
        token.sid = randomBytes(16).toString("base64url");
      }
      return token;
    },
    session({ session, token }) {
      return { ...session, uid: token.uid as string, sv: token.sv as number, sid: token.sid as string | undefined };
    },
  },
  events: {
    signOut({ token }) {
      const t = token as { sid?: unknown; exp?: unknown } | null;
      if (typeof t?.sid === "string") signOutSession(t.sid, typeof t.exp === "number" ? t.exp * 1000 : Date.now() + 12 * 3600_000);
    },
  },
};
