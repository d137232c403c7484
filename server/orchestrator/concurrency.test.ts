import { TRPCError } from "@trpc/server";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, hosts, instances, jobs, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { capacityViolations, deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { accountLimits, domainLimits, writeLimits } from "@/server/core/limits";

/**
 * Many deploys at once, through the real API: limits and host capacity are consumed with locked
 * counters and conditional updates, so parallel requests can neither exceed a limit nor over-commit
 * a host, and a refused request leaves nothing behind.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h, "concurrency-worker", 4);
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const usedOf = (rows: { resourceType: string; used: number }[], type: string) => rows.find((r) => r.resourceType === type)!.used;

async function settle<T>(calls: (() => Promise<T>)[]) {
  const results = await Promise.allSettled(calls.map((c) => c()));
  return {
    ok: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
  };
}

describe(`parallel deploys (${testDbKind()})`, () => {
  it("100 parallel deploys into an account limited to 10 instances: exactly 10 succeed", async () => {
    await writeLimits(h.db, { accountId: t.tenantAccount.id }, { instances: 10 });
    const tenant = api(h.db, t.callers.tenant);
    const choices = await deployChoicesByName(h.db);
    const { ok, errors } = await settle(
      Array.from({ length: 100 }, (_, i) => () => tenant.instance.deploy({ ...choices, name: `par-${i}` })),
    );

    expect(ok).toHaveLength(10);
    expect(errors).toHaveLength(90);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe("PRECONDITION_FAILED");
      expect((e as TRPCError).message).toMatch(/^Instances limit reached for account acme-dev: 10 of 10 in use, 1 more requested$/);
    }

    // Counters exact, at the account and at every ancestor domain.
    const acc = await accountLimits(h.db, t.tenantAccount.id);
    expect([usedOf(acc, "instances"), usedOf(acc, "vcpus"), usedOf(acc, "memory_mib")]).toEqual([10, 10, 10 * 1024]);
    for (const d of [t.domains.acme, t.domains.root]) {
      const rows = await domainLimits(h.db, d.id);
      expect([usedOf(rows, "instances"), usedOf(rows, "vcpus"), usedOf(rows, "memory_mib")], d.name).toEqual([10, 10, 10 * 1024]);
    }
    // No extra rows: instances, jobs and usage facts only for the 10 accepted deploys.
    const rows = await h.db.select().from(instances).where(eq(instances.accountId, t.tenantAccount.id));
    expect(rows.map((r) => r.id).sort()).toEqual(
      ok
        .flat()
        .map((d) => d.id)
        .sort(),
    );
    expect(await h.db.select().from(jobs).where(eq(jobs.accountId, t.tenantAccount.id))).toHaveLength(10);
    // (Workers may already have started some: count the creation facts.)
    expect(
      await h.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.accountId, t.tenantAccount.id), eq(usageEvents.type, "VM.CREATE"))),
    ).toHaveLength(10);
    // No capacity reserved for the refused ones.
    const [sum] = await h.db
      .select({
        cpu: sql<number>`sum(${hosts.cpuUsedMhz})::float8`.mapWith(Number),
        mem: sql<number>`sum(${hosts.memoryUsedMib})::float8`.mapWith(Number),
      })
      .from(hosts);
    expect(sum).toEqual({ cpu: 10 * 1000, mem: 10 * 1024 });

    const done = await Promise.all(ok.flat().map((d) => waitForJob(h.db, d.jobId)));
    expect(done.map((j) => j.status)).toEqual(Array(10).fill("succeeded"));
    expect((await h.db.select().from(instances).where(eq(instances.accountId, t.tenantAccount.id))).map((r) => r.state)).toEqual(
      Array(10).fill("running"),
    );
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("parallel deploys onto nearly full hosts never over-commit", async () => {
    // Each host keeps what it has and gets room for exactly 3 Small VMs (memory) — host 3 for
    // only 2 (CPU, with the cluster's × 2 over-provisioning) — so the refusals are deterministic.
    const hostRows = await h.db.select().from(hosts).orderBy(hosts.name);
    expect(hostRows.map((x) => x.name)).toEqual(["sim-host-1", "sim-host-2", "sim-host-3", "sim-host-4"]);
    for (const x of hostRows) {
      const cpu = x.name === "sim-host-3" ? { cpuCores: 1, cpuMhz: (Number(x.cpuUsedMhz) + 2000) / 2 } : {};
      await h.db
        .update(hosts)
        .set({ memoryMib: Number(x.memoryUsedMib) + 3 * 1024 + 512, tags: ["ssd"], ...cpu })
        .where(eq(hosts.id, x.id));
    }
    const [globex] = await h.db.select().from(accounts).where(eq(accounts.name, "globex-ops"));
    await writeLimits(h.db, { accountId: globex!.id }, { instances: null, vcpus: null, memory_mib: null });
    const user = api(h.db, t.callers.globex);
    const small = await deployChoicesByName(h.db, "Small");
    const medium = await deployChoicesByName(h.db, "Medium");
    const calls = [
      ...Array.from({ length: 40 }, (_, i) => () => user.instance.deploy({ ...small, name: `full-s-${i}` })),
      ...Array.from({ length: 10 }, (_, i) => () => user.instance.deploy({ ...medium, name: `full-m-${i}` })),
    ];
    // Interleave the two sizes.
    calls.sort((a, b) => (calls.indexOf(a) % 5) - (calls.indexOf(b) % 5));
    const { ok, errors } = await settle(calls);

    expect(ok).toHaveLength(11);
    expect(errors).toHaveLength(39);
    for (const e of errors) {
      expect((e as TRPCError).code).toBe("PRECONDITION_FAILED");
      expect((e as TRPCError).message).toMatch(
        /^No host has room for this VM: (1 vCPU × 1000 MHz and 1024|2 vCPU × 2000 MHz and 4096) MiB in zone Zone 1$/,
      );
    }
    const mine = await h.db.select().from(instances).where(eq(instances.accountId, globex!.id));
    expect(mine).toHaveLength(11);
    expect(mine.every((v) => v.memoryMib === 1024)).toBe(true);
    const perHost = new Map<string, number>();
    for (const v of mine) perHost.set(v.hostId!, (perHost.get(v.hostId!) ?? 0) + 1);
    expect(hostRows.map((x) => perHost.get(x.id) ?? 0)).toEqual([3, 3, 2, 3]);
    expect(usedOf(await accountLimits(h.db, globex!.id), "instances")).toBe(11);
    expect(await capacityViolations(h.db)).toEqual([]);

    const done = await Promise.all(ok.flat().map((d) => waitForJob(h.db, d.jobId)));
    expect(done.every((j) => j.status === "succeeded")).toBe(true);
    // Reserved on each host = the needs of the VMs running there, and within capacity × factor.
    const reserved = await h.db.select().from(instances).where(eq(instances.capacityReserved, true));
    expect(reserved.every((v) => v.state === "running")).toBe(true);
    expect(reserved).toHaveLength(21);
    expect(await capacityViolations(h.db)).toEqual([]);
    const refusedNames = await h.db
      .select()
      .from(instances)
      .where(and(eq(instances.accountId, globex!.id), inArray(instances.name, ["full-m-0", "full-m-1"])));
    expect(refusedNames).toEqual([]);
  });
});
