import { decode } from "next-auth/jwt";
import { env } from "@/server/env";
import type { SessionClaims } from "./session";

/**
 * Reads the next-auth session JWT from a Cookie header. The tRPC context, server-rendered pages
 * and the console proxy all read the session this way, then check it with checkSession.
 */
export const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    let v = part.slice(i + 1).trim();
    try {
      v = decodeURIComponent(v);
    } catch {
      /* keep as is */
    }
    if (k) out.set(k, v);
  }
  return out;
}

/** The session token of the cookie header (next-auth splits large ones into name.0, name.1, …). */
function sessionToken(cookies: Map<string, string>): string | null {
  for (const name of SESSION_COOKIES) {
    const whole = cookies.get(name);
    if (whole) return whole;
    const chunks: string[] = [];
    for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
    if (chunks.length) return chunks.join("");
  }
  return null;
}

export interface CookieClaims extends SessionClaims {
  uid: string;
  sv: number;
  sid: string;
  /** When the JWT itself expires (ms; 0 if it says nothing). */
  expiresAtMs: number;
}

/** The claims of a valid, unexpired session JWT in the cookie header; null otherwise. */
export async function claimsFromCookie(
  cookieHeader: string | null | undefined,
  secret = env().NEXTAUTH_SECRET,
): Promise<CookieClaims | null> {
  const token = sessionToken(parseCookies(cookieHeader));
  if (!token || !secret) return null;
  try {
    const jwt = await decode({ token, secret });
    if (!jwt || typeof jwt.uid !== "string" || typeof jwt.sid !== "string") return null;
    const exp = typeof jwt.exp === "number" ? jwt.exp * 1000 : 0;
    if (exp && exp <= Date.now()) return null;
    return { uid: jwt.uid, sv: typeof jwt.sv === "number" ? jwt.sv : 0, sid: jwt.sid, expiresAtMs: exp };
  } catch {
    return null;
  }
}
