import type { NextConfig } from "next";

const dev = process.env.NODE_ENV !== "production";

/**
 * Content-Security-Policy of every page. Scripts: 'self' plus 'unsafe-inline', following Next.js
 * 16's guide ("without nonces"): the App Router emits inline bootstrap scripts
 * (self.__next_f.push) that need either a per-request nonce or 'unsafe-inline'. A nonce would need
 * a proxy on every request and force every page to render dynamically for no gain here: React
 * escapes all text, the portal renders no HTML from users, and everything else is pinned down
 * (no other script origin, no plugins, no <base>, forms and frames only to/from ourselves).
 * Development adds 'unsafe-eval' (React's debugging needs it). connect-src 'self' covers fetch and
 * the console's WebSocket to /api/console/<id> (CSP 3: 'self' matches ws:/wss: of this host).
 * noVNC draws on a canvas and sets its cursor from data: URLs; it needs nothing else.
 */
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = [
  { key: "Content-Security-Policy", value: csp },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  // The portal uses none of these; the clipboard is read only by the console, on a user's click.
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()" },
  // Older browsers that ignore frame-ancestors.
  { key: "X-Frame-Options", value: "DENY" },
];

/** HSTS only over HTTPS: TLS ends at the deployer's proxy, which says so in X-Forwarded-Proto. */
const hsts = { key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" };

const nextConfig: NextConfig = {
  // PGlite ships WebAssembly and must be loaded from node_modules, not bundled (DESIGN.md, pitfalls).
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  poweredByHeader: false,
  // Lets a second build live beside the main one (e.g. NEXT_DIST_DIR=.next-e2e); serve with the same value.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Next's type asks for a promise; the list itself is static.
  headers() {
    return Promise.resolve([
      { source: "/:path*", headers: securityHeaders },
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [hsts] },
      ...(process.env.NEXTAUTH_URL?.startsWith("https://") ? [{ source: "/:path*", headers: [hsts] }] : []),
    ]);
  },
};

export default nextConfig;
