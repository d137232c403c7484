import type { Db } from "@/db";
import type { IssuedKey } from "@/server/services/api-keys";
import { handleCloudStackRequest } from "@/server/cloudstack/api";
import { signRequest, type Pair } from "@/server/cloudstack/signature";

/** Signed CloudStack API calls in process (JSON answers), and following an async job to its end. */
export type CsBody = Record<string, unknown>;

export function cloudStackClient(db: () => Db) {
  async function call(key: IssuedKey, params: Record<string, string>) {
    const pairs: Pair[] = [["apiKey", key.apiKey], ["response", "json"], ...Object.entries(params)];
    pairs.push(["signature", signRequest(pairs, key.secretKey)]);
    const r = await handleCloudStackRequest(db(), pairs);
    const json = JSON.parse(r.text) as Record<string, CsBody>;
    const [envelope] = Object.keys(json);
    return { status: r.status, envelope, body: json[envelope!]! };
  }
  async function waitJob(key: IssuedKey, jobid: string) {
    for (let i = 0; i < 400; i++) {
      const r = await call(key, { command: "queryAsyncJobResult", jobid });
      if (r.body.jobstatus !== 0) return r.body;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`job ${jobid} did not finish`);
  }
  return { call, waitJob };
}
