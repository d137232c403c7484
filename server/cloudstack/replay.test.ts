import { count, eq, lt } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { apiSeenSignatures, jobs } from "@/db/schema";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";
import { csCall, sendPairs, signedPairs } from "@/test/cloudstack";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName, waitForJob } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { REPLAY_WINDOW_MS } from "./replay";

/** A captured signed request cannot change anything a second time; reads may repeat. */
const cloud = simulatorCloud();
let key: IssuedKey;
let vmId: string;

const jobsOf = async (id: string) => (await cloud.h.db.select({ n: count() }).from(jobs).where(eq(jobs.resourceId, id)))[0]!.n;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "+0000");

beforeAll(async () => {
  key = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "replay" }, null);
  const [d] = await api(cloud.h.db, cloud.t.callers.tenant).instance.deploy({
    ...(await deployChoicesByName(cloud.h.db)),
    name: "replayed",
  });
  await waitForJob(cloud.h.db, d!.jobId);
  vmId = d!.id;
});

describe(`replayed API requests (${testDbKind()})`, () => {
  it("without expires: a state-changing request is served once within the window, again after it", async () => {
    const now = new Date();
    const pairs = signedPairs(key, { command: "rebootVirtualMachine", id: vmId });
    const first = await sendPairs(cloud.h.db, pairs, { now });
    expect(first.status).toBe(200);
    await waitForJob(cloud.h.db, first.body.jobid as string);
    const jobsBefore = await jobsOf(vmId);
    // The same request again, and with its base64 re-encoded (no padding): refused, nothing done.
    const replay = await sendPairs(cloud.h.db, pairs, { now: new Date(now.getTime() + 1000) });
    expect([replay.status, replay.body.errorcode]).toEqual([401, 401]);
    expect(replay.body.errortext).toMatch(/already served/);
    const unpadded = pairs.map(([n, v]): [string, string] => [n, n === "signature" ? v.replace(/=+$/, "") : v]);
    expect((await sendPairs(cloud.h.db, unpadded, { now: new Date(now.getTime() + 2000) })).status).toBe(401);
    expect(await jobsOf(vmId)).toBe(jobsBefore);
    // Past the window it is served again (signatureVersion=3 is the real protection).
    const later = await sendPairs(cloud.h.db, pairs, { now: new Date(now.getTime() + REPLAY_WINDOW_MS + 1000) });
    expect(later.status).toBe(200);
    await waitForJob(cloud.h.db, later.body.jobid as string);
  });

  it("with signatureVersion=3: refused until expires (then expired); a newly signed request is served", async () => {
    const now = new Date();
    const pairs = signedPairs(key, {
      command: "rebootVirtualMachine",
      id: vmId,
      signatureVersion: "3",
      expires: iso(new Date(now.getTime() + 60_000)),
    });
    const first = await sendPairs(cloud.h.db, pairs, { now });
    expect(first.status).toBe(200);
    await waitForJob(cloud.h.db, first.body.jobid as string);
    const replay = await sendPairs(cloud.h.db, pairs, { now: new Date(now.getTime() + 30_000) });
    expect(replay.status).toBe(401);
    expect(replay.body.errortext).toMatch(/already served/);
    const after = await sendPairs(cloud.h.db, pairs, { now: new Date(now.getTime() + 61_000) });
    expect(after.status).toBe(401);
    expect(after.body.errortext).toMatch(/expired/);
    const fresh = await csCall(cloud.h.db, key, {
      command: "rebootVirtualMachine",
      id: vmId,
      signatureVersion: "3",
      expires: iso(new Date(now.getTime() + 61_000)),
    });
    expect(fresh.status).toBe(200);
    await waitForJob(cloud.h.db, fresh.body.jobid as string);
  });

  it("read-only commands may repeat (clients poll queryAsyncJobResult with the same parameters)", async () => {
    const [d] = await api(cloud.h.db, cloud.t.callers.tenant)
      .instance.reboot({ id: vmId })
      .then((r) => [r]);
    const poll = signedPairs(key, { command: "queryAsyncJobResult", jobid: d!.jobId });
    for (let i = 0; i < 3; i++) expect((await sendPairs(cloud.h.db, poll)).status).toBe(200);
    const list = signedPairs(key, { command: "listVirtualMachines", id: vmId });
    expect((await sendPairs(cloud.h.db, list)).status).toBe(200);
    expect((await sendPairs(cloud.h.db, list)).status).toBe(200);
    await waitForJob(cloud.h.db, d!.jobId);
  });

  it("keeps only hashes with an expiry, and cleans expired ones up", async () => {
    const pairs = signedPairs(key, { command: "stopVirtualMachine", id: "00000000-0000-4000-8000-000000000000" });
    await sendPairs(cloud.h.db, pairs);
    const rows = await cloud.h.db.select().from(apiSeenSignatures);
    const signature = pairs.find(([n]) => n === "signature")![1];
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(signature);
    expect(rows.every((r) => r.expiresAt.getTime() > Date.now())).toBe(true);
    // A request an hour (well past every window) later removes what has expired.
    const later = new Date(Date.now() + 3_600_000 + REPLAY_WINDOW_MS);
    await csCall(cloud.h.db, key, { command: "stopVirtualMachine", id: "00000000-0000-4000-8000-000000000001" }, { now: later });
    const left = await cloud.h.db.select({ n: count() }).from(apiSeenSignatures).where(lt(apiSeenSignatures.expiresAt, later));
    expect(left[0]!.n).toBe(0);
  });
});
