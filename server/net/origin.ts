import { env } from "@/server/env";

/** The origins besides the addressed host whose pages may act on this portal: NEXTAUTH_URL's and STRATUS_ALLOWED_ORIGINS. */
export function allowedOrigins(): string[] {
  const e = env();
  return [...e.STRATUS_ALLOWED_ORIGINS, ...(e.NEXTAUTH_URL ? [new URL(e.NEXTAUTH_URL).origin] : [])];
}

/**
 * Why a request is cross-site (null when it comes from a page of this portal, or from no browser).
 * Browsers send Origin on every POST and WebSocket; a client without Origin or Sec-Fetch-Site
 * (curl, scripts) is not a browser carrying someone's cookies and passes. One rule for the API,
 * uploads and the console's WebSocket.
 */
export function crossSiteProblem(
  header: (name: string) => string | null | undefined,
  allowed: readonly string[] = allowedOrigins(),
): string | null {
  const origin = header("origin");
  if (origin == null) {
    const site = header("sec-fetch-site");
    return site == null || site === "same-origin" || site === "none" ? null : "Cross-site requests may not change anything";
  }
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return "Cross-site requests may not change anything";
  }
  // Same origin: the host the browser addressed (Host header), on either scheme a proxy may terminate.
  const host = header("host");
  if (host && o.host === host) return null;
  if (allowed.includes(o.origin)) return null;
  return "Cross-site requests may not change anything";
}
