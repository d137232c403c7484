import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * CloudStack's request signature (ApiServer.verifyRequest): every parameter but `signature`, as
 * `name=value` with the value URL-encoded as Java's URLEncoder does (spaces as %20, not '+'),
 * sorted by name, joined with '&', the whole string lower-cased, HMAC-SHA1 keyed by the secret,
 * base64. CloudStack sorts the names as sent (case-sensitive); some clients sort the lower-cased
 * names, and some encode values per RFC 3986 ('~' kept, '*' encoded): every such variant is
 * accepted, each compared in constant time.
 */

/** Java's URLEncoder.encode(v, "UTF-8") with '+' replaced by %20: only A-Z a-z 0-9 . - * _ stay. */
export function javaUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 3986 encoding (what urllib's quote with safe="" and many other clients produce). */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type Pair = [name: string, value: string];

/** The lower-cased string CloudStack signs, for one sort order and one encoding. */
export function canonicalString(pairs: Pair[], opts: { sortLowercase?: boolean; encode?: (v: string) => string } = {}): string {
  const encode = opts.encode ?? javaUrlEncode;
  const key = (n: string) => (opts.sortLowercase ? n.toLowerCase() : n);
  const sorted = pairs
    .filter(([n]) => n.toLowerCase() !== "signature")
    .sort(([a], [b]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return sorted
    .map(([n, v]) => `${n}=${encode(v)}`)
    .join("&")
    .toLowerCase();
}

export const hmacSha1Base64 = (secret: string, text: string) => createHmac("sha1", secret).update(text, "utf8").digest("base64");

/** What a client would send: CloudStack's own algorithm (sort as sent, Java encoding). */
export function signRequest(pairs: Pair[], secret: string): string {
  return hmacSha1Base64(secret, canonicalString(pairs));
}

function sameBase64(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  // Always one comparison of equal lengths, so a wrong length costs the same as a wrong byte.
  return (
    timingSafeEqual(x.length === 20 ? x : Buffer.alloc(20), y.length === 20 ? y : Buffer.alloc(20, 1)) && x.length === 20 && y.length === 20
  );
}

/** True when `signature` signs `pairs` with `secret` in any accepted variant. */
export function verifySignature(pairs: Pair[], signature: string, secret: string): boolean {
  let ok = false;
  for (const sortLowercase of [false, true]) {
    for (const encode of [javaUrlEncode, rfc3986Encode]) {
      // Every variant is computed and compared (no early exit): the time does not depend on which matched.
      if (sameBase64(hmacSha1Base64(secret, canonicalString(pairs, { sortLowercase, encode })), signature)) ok = true;
    }
  }
  return ok;
}

/**
 * signatureVersion=3: `expires` is an ISO 8601 date-time ("2026-11-30T17:00:00+0000", "…Z",
 * "…+01:00"); the request is refused once it has passed. Returns the instant, or null when malformed.
 */
export function parseExpires(value: string): Date | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
  if (!m) return null;
  const zone = m[2] === "Z" ? "Z" : `${m[2]!.slice(0, 3)}:${m[2]!.slice(-2)}`;
  const d = new Date(`${m[1]}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}
