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

/** Polls queryAsyncJobResult through `call` until the job is no longer pending: that last answer. */
export async function waitCsJob(call: (params: Record<string, string>) => Promise<CsAnswer>, jobid: string): Promise<CsAnswer> {
  for (let i = 0; i < 400; i++) {
    const r = await call({ command: "queryAsyncJobResult", jobid });
    if (r.body.jobstatus !== 0) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`job ${jobid} did not finish`);
}

export type CsTestBody = Record<string, unknown>;

/** Tests' CloudStack client: signed JSON requests through handleCloudStackRequest, and a job follower. */
export function csTestClient(db: () => Db) {
  let seq = 0;
  // A cache-buster ("_", as CloudStack's own UI sends) makes each request's signature new: two
  // equal commands on purpose (two addresses, two volumes) are not refused as a replay.
  const call = (key: IssuedKey, params: Record<string, string>) => csCall(db(), key, { _: String(++seq), ...params });
  async function waitJob(key: IssuedKey, jobid: string) {
    const r = await waitCsJob((p) => call(key, p), jobid);
    if (r.status !== 200) throw new Error(`queryAsyncJobResult ${jobid}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  /** An async command, followed to its end: the job's result (a failed job or an error answer throws). */
  async function run(key: IssuedKey, params: Record<string, string>) {
    const r = await call(key, params);
    if (r.status !== 200) throw new Error(`${params.command}: ${r.status} ${JSON.stringify(r.body)}`);
    const done = await waitJob(key, r.body.jobid as string);
    if (done.jobstatus !== 1) throw new Error(`${params.command} failed: ${JSON.stringify(done.jobresult)}`);
    return { ...done, answer: r.body } as CsTestBody & { jobresult: CsTestBody; answer: CsTestBody };
  }
  return { call, waitJob, run };
}
