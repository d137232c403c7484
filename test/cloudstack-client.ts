import type { Db } from "@/db";
import type { IssuedKey } from "@/server/services/api-keys";
import { handleCloudStackRequest } from "@/server/cloudstack/api";
import { signRequest, type Pair } from "@/server/cloudstack/signature";

/** Tests' CloudStack client: signed JSON requests through handleCloudStackRequest, and a job follower. */
export type CsTestBody = Record<string, unknown>;

export function csTestClient(db: () => Db) {
  let seq = 0;
  async function call(key: IssuedKey, params: Record<string, string>) {
    // A cache-buster ("_", as CloudStack's own UI sends) makes each request's signature new: two
    // equal commands on purpose (two addresses, two volumes) are not refused as a replay.
    const pairs: Pair[] = [["apiKey", key.apiKey], ["response", "json"], ["_", String(++seq)], ...Object.entries(params)];
    pairs.push(["signature", signRequest(pairs, key.secretKey)]);
    const r = await handleCloudStackRequest(db(), pairs);
    const json = JSON.parse(r.text) as Record<string, CsTestBody>;
    const [envelope] = Object.keys(json);
    return { status: r.status, envelope, body: json[envelope!]! };
  }
  async function waitJob(key: IssuedKey, jobid: string) {
    for (let i = 0; i < 400; i++) {
      const r = await call(key, { command: "queryAsyncJobResult", jobid });
      if (r.status !== 200) throw new Error(`queryAsyncJobResult ${jobid}: ${JSON.stringify(r.body)}`);
      if (r.body.jobstatus !== 0) return r.body;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`job ${jobid} did not finish`);
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
