import type { Db } from "@/db";
import { handleCloudStackRequest } from "@/server/cloudstack/api";
import { signRequest, type Pair } from "@/server/cloudstack/signature";
import type { IssuedKey } from "@/server/services/api-keys";

/** A signed CloudStack API request, in process (what the /client/api route does after reading the pairs). */
export type CsAnswer = { status: number; envelope: string | undefined; body: Record<string, unknown> };

export interface CsCallOptions {
  /** Signs the pairs (default: CloudStack's own algorithm with the key's secret). */
  sign?: (p: Pair[]) => string;
  now?: Date;
  origin?: string;
}

/** The pairs a client sends, signature last. */
export function signedPairs(key: IssuedKey, params: Record<string, string>, sign?: (p: Pair[]) => string): Pair[] {
  const pairs: Pair[] = [["apiKey", key.apiKey], ["response", "json"], ...Object.entries(params)];
  pairs.push(["signature", sign ? sign(pairs) : signRequest(pairs, key.secretKey)]);
  return pairs;
}

/** Sends pairs as they are (e.g. the same request again). */
export async function sendPairs(db: Db, pairs: Pair[], opts: Omit<CsCallOptions, "sign"> = {}): Promise<CsAnswer> {
  const r = await handleCloudStackRequest(db, pairs, opts.now, { origin: opts.origin });
  const json = JSON.parse(r.text) as Record<string, Record<string, unknown>>;
  const [envelope] = Object.keys(json);
  return { status: r.status, envelope, body: json[envelope!]! };
}

export const csCall = (db: Db, key: IssuedKey, params: Record<string, string>, opts: CsCallOptions = {}) =>
  sendPairs(db, signedPairs(key, params, opts.sign), opts);

let distinct = 0;
/**
 * signatureVersion=3 with an `expires` of its own (a minute ahead): the same command sent twice
 * is then two requests, not a replay (server/cloudstack/replay.ts), as real clients send it.
 */
export function fresh(now = Date.now()): Record<string, string> {
  return { signatureVersion: "3", expires: new Date(now + 60_000 + ++distinct).toISOString() };
}
