import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, clusters, computeOfferings, hosts, instances, pods, templates, zones } from "@/db/schema";
import { seed } from "@/db/seed";
import { openTestDb, testDbKind } from "@/test/db";
import { prng } from "@/test/prng";
import { InsufficientCapacityError, planAndReserve, type PlacementRequest, releaseFromHost, reserveOnHost } from "./planner";
import type { Strategy } from "./rank";

/**
 * Property tests of the planner against the database: random zones of hosts (capacity, use,
 * over-provisioning, tags, states) and random requests. Whatever the strategy, the chosen host
 * must be feasible and receive exactly the request; a refusal must mean no host was feasible.
 */
let h: DbHandle;
let zoneId: string;
let podId: string;
let clusterIds: string[];
let accountId: string;
let otherAccountId: string;
let offeringId: string;
let templateId: string;

const factors = [1, 1.5, 2, 3] as const;
const allTags = ["ssd", "gpu", "fast"] as const;

beforeAll(async () => {
  h = await openTestDb();
  await seed(h.db, { demo: true });
  const [z] = await h.db.insert(zones).values({ name: "Planner zone" }).returning();
  zoneId = z!.id;
  const [p] = await h.db.insert(pods).values({ zoneId, name: "Planner pod" }).returning();
  podId = p!.id;
  const cs = await h.db
    .insert(clusters)
    .values([0, 1].map((i) => ({ zoneId, podId, name: `Planner cluster ${i}`, hypervisorType: "simulator" as const })))
    .returning();
  clusterIds = cs.map((c) => c.id);
  const accs = await h.db
    .select()
    .from(accounts)
    .where(inArray(accounts.name, ["acme-dev", "globex-ops"]));
  accountId = accs.find((a) => a.name === "acme-dev")!.id;
  otherAccountId = accs.find((a) => a.name === "globex-ops")!.id;
  offeringId = (await h.db.select().from(computeOfferings).limit(1))[0]!.id;
  templateId = (await h.db.select().from(templates).limit(1))[0]!.id;
});
afterAll(() => h.close());

interface SimHost {
  id: string;
  name: string;
  clusterIdx: number;
  cpuCap: number;
  memCap: number;
  cpuUsed: number;
  memUsed: number;
  tags: string[];
  allocatable: boolean;
  accountVms: number;
}

async function buildZone(r: ReturnType<typeof prng>, iteration: number, strategy: Strategy) {
  await h.db.delete(instances).where(eq(instances.zoneId, zoneId));
  await h.db.delete(hosts).where(eq(hosts.zoneId, zoneId));
  await h.db.update(zones).set({ allocationAlgorithm: strategy }).where(eq(zones.id, zoneId));
  const cluster = [0, 1].map(() => ({ cpu: r.pick(factors), mem: r.pick(factors), enabled: r.bool(0.9) }));
  for (let i = 0; i < 2; i++) {
    await h.db
      .update(clusters)
      .set({ cpuOvercommit: cluster[i]!.cpu, memoryOvercommit: cluster[i]!.mem, state: cluster[i]!.enabled ? "enabled" : "disabled" })
      .where(eq(clusters.id, clusterIds[i]!));
  }
  const n = r.int(1, 10);
  const sims: SimHost[] = [];
  for (let k = 0; k < n; k++) {
    const clusterIdx = r.int(0, 1);
    const cores = r.int(1, 8);
    const mhz = r.pick([1000, 2000, 2400, 3000]);
    const mem = r.int(1, 16) * 1024;
    const c = cluster[clusterIdx]!;
    const cpuCap = cores * mhz * c.cpu;
    const memCap = mem * c.mem;
    const state = r.pick(["enabled", "enabled", "enabled", "enabled", "disabled", "maintenance"] as const);
    const status = r.pick(["up", "up", "up", "up", "disconnected", "down"] as const);
    const cpuUsed = Math.floor(cpuCap * r.next());
    const memUsed = Math.floor(memCap * r.next());
    const tags = allTags.filter(() => r.bool(0.4));
    const [row] = await h.db
      .insert(hosts)
      .values({
        zoneId,
        podId,
        clusterId: clusterIds[clusterIdx]!,
        name: `p${String(iteration).padStart(3, "0")}-h${String(k).padStart(2, "0")}`,
        hypervisorType: "simulator",
        address: `sim://p${iteration}-${k}`,
        cpuCores: cores,
        cpuMhz: mhz,
        memoryMib: mem,
        tags,
        state,
        status,
        cpuUsedMhz: cpuUsed,
        memoryUsedMib: memUsed,
      })
      .returning();
    const accountVms = strategy === "user_dispersing" ? r.int(0, 3) : 0;
    for (let v = 0; v < accountVms; v++) await addVm(row!.id, accountId, `pv-${iteration}-${k}-${v}`);
    // Another account's VMs must not count for this account's dispersal.
    if (strategy === "user_dispersing" && r.bool(0.5)) await addVm(row!.id, otherAccountId, `ov-${iteration}-${k}`);
    sims.push({
      id: row!.id,
      name: row!.name,
      clusterIdx,
      cpuCap,
      memCap,
      cpuUsed,
      memUsed,
      tags,
      allocatable: state === "enabled" && status === "up" && c.enabled,
      accountVms,
    });
  }
  return sims;
}

async function addVm(hostId: string, owner: string, name: string) {
  const [acc] = await h.db.select().from(accounts).where(eq(accounts.id, owner));
  await h.db.insert(instances).values({
    name,
    accountId: owner,
    domainId: acc!.domainId,
    domainPath: "/",
    zoneId,
    hostId,
    computeOfferingId: offeringId,
    templateId,
    state: "running",
    cpuCores: 1,
    cpuMhz: 1,
    memoryMib: 1,
    capacityReserved: true,
  });
}

const feasible = (s: SimHost, r: PlacementRequest) =>
  s.allocatable &&
  r.hostTags.every((t) => s.tags.includes(t)) &&
  s.cpuUsed + r.cpuCores * r.cpuMhz <= s.cpuCap &&
  s.memUsed + r.memoryMib <= s.memCap;

async function usedOf(ids: string[]) {
  const rows = await h.db
    .select({ id: hosts.id, cpu: hosts.cpuUsedMhz, mem: hosts.memoryUsedMib })
    .from(hosts)
    .where(inArray(hosts.id, ids));
  return new Map(rows.map((x) => [x.id, { cpu: Number(x.cpu), mem: Number(x.mem) }]));
}

describe(`planner against the database (${testDbKind()})`, () => {
  it("random zones and requests: a feasible host, exactly reserved, per the strategy; refusals only when none fits", async () => {
    const r = prng(2026);
    const seen = { placed: 0, refused: 0, preferred: 0 };
    const strategies: Strategy[] = ["first_fit", "random", "user_dispersing"];
    for (let i = 0; i < 60; i++) {
      const strategy = strategies[i % 3]!;
      const sims = await buildZone(r, i, strategy);
      const req: PlacementRequest = {
        zoneId,
        accountId,
        cpuCores: r.int(1, 4),
        cpuMhz: r.pick([500, 1000, 2000]),
        memoryMib: r.int(1, 8) * 512,
        hostTags: allTags.filter(() => r.bool(0.25)),
        preferredHostId: r.bool(0.3) ? r.pick(sims).id : null,
      };
      const ok = sims.filter((s) => feasible(s, req));
      const before = await usedOf(sims.map((s) => s.id));
      const result = await planAndReserve(h.db, req).catch((e: unknown) => e);
      const after = await usedOf(sims.map((s) => s.id));
      const ctx = `iteration ${i} (${strategy}), request ${JSON.stringify(req)}, hosts ${JSON.stringify(sims)}`;
      if (ok.length === 0) {
        expect(result, ctx).toBeInstanceOf(InsufficientCapacityError);
        expect((result as Error).message).toMatch(/^No host has room for this VM: /);
        expect(after, ctx).toEqual(before);
        seen.refused++;
        continue;
      }
      expect(result, ctx).not.toBeInstanceOf(Error);
      const chosenId = (result as { hostId: string }).hostId;
      const chosen = sims.find((s) => s.id === chosenId);
      expect(chosen, ctx).toBeDefined();
      expect(feasible(chosen!, req), ctx).toBe(true);
      for (const s of sims) {
        const d = s.id === chosenId ? { cpu: req.cpuCores * req.cpuMhz, mem: req.memoryMib } : { cpu: 0, mem: 0 };
        expect(after.get(s.id), ctx).toEqual({ cpu: before.get(s.id)!.cpu + d.cpu, mem: before.get(s.id)!.mem + d.mem });
      }
      seen.placed++;
      const preferred = req.preferredHostId ? ok.find((s) => s.id === req.preferredHostId) : undefined;
      if (preferred) {
        expect(chosenId, `preferred host first: ${ctx}`).toBe(preferred.id);
        seen.preferred++;
        continue;
      }
      if (strategy === "first_fit") expect(chosen!.name, ctx).toBe([...ok].sort((a, b) => a.name.localeCompare(b.name))[0]!.name);
      if (strategy === "user_dispersing") {
        const fewest = Math.min(...ok.map((s) => s.accountVms));
        expect(chosen!.accountVms, ctx).toBe(fewest);
        const mostFree = Math.max(...ok.filter((s) => s.accountVms === fewest).map((s) => s.memCap - s.memUsed));
        expect(chosen!.memCap - chosen!.memUsed, ctx).toBe(mostFree);
      }
    }
    // The generator covers both outcomes and the preferred-host path.
    expect(seen.placed).toBeGreaterThan(10);
    expect(seen.refused).toBeGreaterThan(5);
    expect(seen.preferred).toBeGreaterThan(1);
  });

  it("reserveOnHost is conditional and releaseFromHost gives back exactly", async () => {
    await h.db.delete(instances).where(eq(instances.zoneId, zoneId));
    await h.db.delete(hosts).where(eq(hosts.zoneId, zoneId));
    await h.db.update(clusters).set({ cpuOvercommit: 2, memoryOvercommit: 1, state: "enabled" }).where(eq(clusters.id, clusterIds[0]!));
    const [host] = await h.db
      .insert(hosts)
      .values({
        zoneId,
        podId,
        clusterId: clusterIds[0]!,
        name: "exact-host",
        hypervisorType: "simulator",
        address: "sim://exact",
        cpuCores: 2,
        cpuMhz: 1000,
        memoryMib: 2048,
      })
      .returning();
    const vm = { cpuCores: 1, cpuMhz: 1000, memoryMib: 1024 };
    expect(await reserveOnHost(h.db, host!.id, vm)).toBe(true);
    expect(await reserveOnHost(h.db, host!.id, vm)).toBe(true);
    // Memory is full (factor 1) although CPU (factor 2: 4000 MHz) still has room.
    expect(await reserveOnHost(h.db, host!.id, vm)).toBe(false);
    expect(await reserveOnHost(h.db, host!.id, { cpuCores: 3, cpuMhz: 1000, memoryMib: 0 })).toBe(false);
    expect(await reserveOnHost(h.db, host!.id, { cpuCores: 2, cpuMhz: 1000, memoryMib: 0 })).toBe(true);
    let [row] = await h.db.select().from(hosts).where(eq(hosts.id, host!.id));
    expect([row!.cpuUsedMhz, row!.memoryUsedMib]).toEqual([4000, 2048]);
    await releaseFromHost(h.db, host!.id, vm);
    [row] = await h.db.select().from(hosts).where(eq(hosts.id, host!.id));
    expect([row!.cpuUsedMhz, row!.memoryUsedMib]).toEqual([3000, 1024]);
    // Never below zero, whatever is released.
    await releaseFromHost(h.db, host!.id, { cpuCores: 10, cpuMhz: 1000, memoryMib: 10_000 });
    [row] = await h.db.select().from(hosts).where(eq(hosts.id, host!.id));
    expect([row!.cpuUsedMhz, row!.memoryUsedMib]).toEqual([0, 0]);
  });

  it("names the request and the zone in the refusal", async () => {
    await h.db.update(zones).set({ allocationAlgorithm: "first_fit" }).where(eq(zones.id, zoneId));
    await expect(
      planAndReserve(h.db, { zoneId, accountId, cpuCores: 64, cpuMhz: 3000, memoryMib: 1024, hostTags: ["gpu"] }),
    ).rejects.toThrow("No host has room for this VM: 64 vCPU × 3000 MHz and 1024 MiB with host tags gpu in zone Planner zone");
  });
});
