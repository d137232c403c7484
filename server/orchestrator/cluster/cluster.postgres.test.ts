import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { clusters, events, hostMetrics, hosts, jobs, orchestratorNodes, simulatorVms, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { killAllWorkers, spawnScript } from "@/test/processes";
import { capacityViolations, deployChoicesByName, setSimLatency, waitFor, waitForJob } from "@/test/orchestrator";
import { writeLimits } from "@/server/core/limits";
import { ownerOf } from "./membership";

/**
 * Three management processes on one PostgreSQL share the hosts as CloudStack's management servers
 * do: each host is reconciled and sampled by exactly one live process (hosts.managed_by), and when
 * one dies (SIGKILL mid-deploy: no clean-up of any kind) its lease runs out, its hosts move to the
 * other two and its jobs are resumed by them: every job finishes once, nothing is lost or doubled.
 * PostgreSQL only (several real processes cannot share PGlite).
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;

const LEASE_MS = 1500;
const N = 24;

beforeAll(async () => {
  if (testDbKind() !== "postgres") throw new Error("cluster.postgres.test.ts needs TEST_DB=postgres");
  h = await openTestDb();
  t = await seedTenancy(h.db);
  // Twelve hosts in all, so each of three processes gets a share.
  const [first] = await h.db.select().from(hosts).limit(1);
  const [cluster] = await h.db.select().from(clusters).where(eq(clusters.id, first!.clusterId));
  await h.db.insert(hosts).values(
    Array.from({ length: 8 }, (_, i) => ({
      zoneId: cluster!.zoneId,
      podId: cluster!.podId,
      clusterId: cluster!.id,
      name: `sim-extra-${i}`,
      hypervisorType: "simulator" as const,
      address: `sim://extra-${i}`,
      cpuCores: 32,
      cpuMhz: 2400,
      memoryMib: 131072,
      tags: ["ssd"],
    })),
  );
  await writeLimits(
    h.db,
    { accountId: t.tenantAccount.id },
    { instances: null, vcpus: null, memory_mib: null, volumes: null, primary_storage_gib: null },
  );
});
afterAll(async () => {
  await killAllWorkers();
  await h?.close();
});

const nodeEnv = {
  STRATUS_LEASE_MS: String(LEASE_MS),
  STRATUS_POLL_MS: "100",
  STRATUS_JOB_CONCURRENCY: "3",
  STRATUS_RECONCILE_INTERVAL_MS: "300",
  STRATUS_METRICS_INTERVAL_MS: "400",
};

/** Every host is managed by the live node rendezvous hashing gives it, and the nodes table lists exactly `live`. */
async function ownershipSettled(live: string[]) {
  const nodes = (
    await h.db
      .select()
      .from(orchestratorNodes)
      .where(gt(orchestratorNodes.leaseUntil, sql`now()`))
  )
    .map((n) => n.id)
    .sort();
  if (nodes.join() !== [...live].sort().join()) return false;
  const rows = await h.db.select({ id: hosts.id, managedBy: hosts.managedBy }).from(hosts);
  return rows.every((r) => r.managedBy === ownerOf(r.id, live)) ? rows : false;
}

describe("three management processes share the hosts; one is killed (postgres)", () => {
  it("host ownership moves to the survivors, the dead one's jobs are resumed, every job runs once", async () => {
    const names = ["node-a", "node-b", "node-c"];
    const nodes = await Promise.all(names.map((n) => spawnScript("scripts/orchestrator-node.ts", h.url!, n, nodeEnv, 60_000)));
    const [, b] = nodes;

    // All three share the hosts, each some.
    const first = await waitFor("three owners", () => ownershipSettled(names), 20_000, 100);
    const byOwner = new Map<string, string[]>();
    for (const r of first) byOwner.set(r.managedBy!, [...(byOwner.get(r.managedBy!) ?? []), r.id]);
    expect([...byOwner.keys()].sort()).toEqual(names);
    const bHosts = byOwner.get("node-b")!;

    // Slow enough that jobs are mid-way when node-b dies.
    await setSimLatency(h.db, { create: 150, start: 400 });
    const tenant = api(h.db, t.callers.tenant);
    const choices = await deployChoicesByName(h.db);
    const deployed = [
      ...(await tenant.instance.deploy({ ...choices, name: "k", count: N / 2 })),
      ...(await tenant.instance.deploy({ ...choices, name: "m", count: N / 2 })),
    ];
    const ids = deployed.map((d) => d.id);
    // node-b holds running jobs: kill it with no warning.
    const held = await waitFor(
      "node-b running a job",
      async () => {
        const rows = await h.db
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(eq(jobs.lockedBy, "node-b"), eq(jobs.status, "running")));
        return rows.length ? rows.map((r) => r.id) : false;
      },
      20_000,
      20,
    );
    await b!.kill("SIGKILL");
    const killedAt = new Date();

    const done = await Promise.all(deployed.map((d) => waitForJob(h.db, d.jobId, 45_000)));
    expect(done.map((j) => j.status)).toEqual(Array(N).fill("succeeded"));
    // The dead node's jobs were taken over by a survivor; every job's steps ran once each.
    const finalJobs = await h.db.select().from(jobs).where(inArray(jobs.id, held));
    for (const j of finalJobs) expect(["node-a", "node-c"]).toContain(j.lockedBy);
    for (const j of done) expect(j.steps).toEqual(["root-volume", "networks", "security-groups", "define", "start"]);

    // Nothing done twice, nothing lost: one start fact and one Running event per VM, each VM running once.
    const starts = await h.db
      .select({ id: usageEvents.resourceId })
      .from(usageEvents)
      .where(and(inArray(usageEvents.resourceId, ids), eq(usageEvents.type, "VM.START")));
    expect(starts.map((u) => u.id).sort()).toEqual([...ids].sort());
    const running = await h.db
      .select({ id: events.resourceId })
      .from(events)
      .where(and(inArray(events.resourceId, ids), eq(events.type, "VM.RUNNING")));
    expect(running.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(await h.db.select().from(simulatorVms).where(eq(simulatorVms.state, "running"))).toHaveLength(N);

    // node-b's hosts moved to the survivors once its lease ran out, and they sample them now.
    const after = await waitFor("two owners", () => ownershipSettled(["node-a", "node-c"]), 20_000, 100);
    expect(new Set(after.map((r) => r.managedBy))).toEqual(new Set(["node-a", "node-c"]));
    const moved = after.filter((r) => bHosts.includes(r.id));
    expect(moved).toHaveLength(bHosts.length);
    await waitFor(
      "every host sampled since the kill",
      async () => {
        const sampled = await h.db
          .selectDistinct({ id: hostMetrics.hostId })
          .from(hostMetrics)
          .where(gt(hostMetrics.at, new Date(killedAt.getTime() + LEASE_MS)));
        return sampled.length === after.length;
      },
      20_000,
      100,
    );
    // The reconcilers, old owners and new, never mistook a VM in flight for an out-of-band change.
    const outOfBand = await h.db
      .select({ type: events.type })
      .from(events)
      .where(and(inArray(events.resourceId, ids), inArray(events.type, ["VM.STOPPED.OUT_OF_BAND", "VM.RUNNING.OUT_OF_BAND"])));
    expect(outOfBand).toEqual([]);
    expect(await capacityViolations(h.db)).toEqual([]);

    // A clean stop leaves at once: the last survivor owns every host.
    await nodes[0]!.kill("SIGTERM");
    await waitFor("one owner", () => ownershipSettled(["node-c"]), 20_000, 100);
    await nodes[2]!.kill("SIGTERM");
    // The clean leavers' rows are gone; the killed one's stays, expired, until ten leases have passed.
    expect((await h.db.select().from(orchestratorNodes)).map((n) => n.id)).toEqual(["node-b"]);
    await setSimLatency(h.db, {});
  }, 120_000);
});
