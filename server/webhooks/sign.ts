import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header names of a delivery. */
export const SIGNATURE_HEADER = "x-stratus-signature";
export const TIMESTAMP_HEADER = "x-stratus-timestamp";
export const EVENT_HEADER = "x-stratus-event";
export const DELIVERY_HEADER = "x-stratus-delivery";

/** A new subscription secret: 32 random bytes, hex, prefixed so it is recognisable in a leak scan. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("hex")}`;

/**
 * The signature of a delivery: HMAC-SHA256 with the subscription's secret over
 * `<timestamp>.<body>` (timestamp in Unix seconds, the X-Stratus-Timestamp header), as
 * `sha256=<hex>`. Signing the timestamp lets a receiver refuse replays of old deliveries.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * What a receiver does (and the tests): recompute the signature, compare in constant time, and
 * refuse a timestamp older (or newer) than `toleranceSeconds`.
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  body: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
