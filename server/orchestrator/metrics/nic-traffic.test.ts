import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, instances, nics, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { collectHost } from "./collector";
import { counterDelta } from "./nic-traffic";

/** Per-NIC traffic as usage facts: the metrics cycle on the simulator, sample after sample. */
let h: DbHandle;
let workers: ReturnType<typeof testWorkers>;
let tenant: ReturnType<typeof api>;
let vmId: string;

beforeAll(async () => {
  h = await openTestDb();
  const t = await seedTenancy(h.db);
  workers = testWorkers(h);
  tenant = api(h.db, t.callers.tenant);
  const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "traffic" });
  expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
  vmId = d!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function sample(at = new Date()) {
  const [vm] = await h.db.select().from(instances).where(eq(instances.id, vmId));
  const [host] = await h.db.select().from(hosts).where(eq(hosts.id, vm!.hostId!));
  await collectHost(h.db, host!, at);
}
const facts = (type: string) =>
  h.db
    .select()
    .from(usageEvents)
    .where(and(eq(usageEvents.resourceId, vmId), eq(usageEvents.type, type)))
    .orderBy(usageEvents.seq);
const bytesOf = (rows: Awaited<ReturnType<typeof facts>>) => rows.map((r) => (r.details as { bytes: number }).bytes);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe(`per-NIC traffic usage (${testDbKind()})`, () => {
  it("a counter's delta: all of it at first and after a reset; the difference otherwise", () => {
    expect(counterDelta(500, null)).toBe(500);
    expect(counterDelta(800, 500)).toBe(300);
    expect(counterDelta(200, 500)).toBe(200);
    expect(counterDelta(500, 500)).toBe(0);
  });

  it("each cycle records the NIC's bytes sent and received since the last one; the sums are the counters", async () => {
    await sleep(1100);
    await sample();
    const [nic] = await h.db.select().from(nics).where(eq(nics.instanceId, vmId));
    expect(nic!.lastTxBytes).toBeGreaterThan(0);
    expect(nic!.lastRxBytes).toBeGreaterThan(nic!.lastTxBytes!); // the simulator's guests receive more
    const sent1 = await facts("NETWORK.BYTES.SENT");
    expect(sent1).toHaveLength(1);
    expect(sent1[0]!.details).toMatchObject({ nicId: nic!.id, networkId: nic!.networkId, bytes: nic!.lastTxBytes });

    await sleep(1100);
    const at = new Date();
    await sample(at);
    await sample(at); // the same cycle again records nothing twice
    const [after] = await h.db.select().from(nics).where(eq(nics.id, nic!.id));
    const sent = bytesOf(await facts("NETWORK.BYTES.SENT"));
    const received = bytesOf(await facts("NETWORK.BYTES.RECEIVED"));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBeGreaterThan(0);
    expect(sum(sent)).toBe(after!.lastTxBytes);
    expect(sum(received)).toBe(after!.lastRxBytes);
  });

  it("a VM started again counts from zero: the first sample after the start bills its whole new counter (it went down)", async () => {
    for (const op of [() => tenant.instance.stop({ id: vmId }), () => tenant.instance.start({ id: vmId })])
      expect((await waitForJob(h.db, (await op()).jobId)).status).toBe("succeeded");
    const before = sum(bytesOf(await facts("NETWORK.BYTES.SENT")));
    await sleep(1100);
    await sample();
    const [nic] = await h.db.select().from(nics).where(eq(nics.instanceId, vmId));
    const sent = bytesOf(await facts("NETWORK.BYTES.SENT"));
    expect(sent.at(-1)).toBe(nic!.lastTxBytes);
    expect(sum(sent)).toBe(before + nic!.lastTxBytes!);
    const types = await h.db
      .select({ type: usageEvents.type })
      .from(usageEvents)
      .where(and(eq(usageEvents.resourceId, vmId), inArray(usageEvents.type, ["NETWORK.BYTES.SENT", "NETWORK.BYTES.RECEIVED"])));
    expect(types.length).toBe(6);
  });
});
