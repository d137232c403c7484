import { TRPCError } from "@trpc/server";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, simulatorVms, zones as zonesTable } from "@/db/schema";
import { seed } from "@/db/seed";
import { openTestDb, testDbKind } from "@/test/db";
import { api, callerFor } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { simulatorOperationNames } from "@/lib/validation/simulator";
import type { Caller } from "@/server/authz/caller";
import { registerOrchestrator, simulatorDriver } from "@/server/orchestrator";
import { simulatorOperations } from "@/server/orchestrator/drivers/simulator/driver";
import type { HostRef } from "@/server/orchestrator/drivers/types";

/** Simulator administration (simulator.*) and the capacity summary (capacity.summary), via the API. */
let h: DbHandle;
let admin: Caller;
let tenant: Caller;
let reseller: Caller;
let hostRefs: HostRef[];

beforeAll(async () => {
  h = await openTestDb();
  await seed(h.db, { demo: true });
  registerOrchestrator(h);
  admin = await callerFor(h.db, "admin");
  tenant = await callerFor(h.db, "tenant");
  reseller = await callerFor(h.db, "reseller");
  hostRefs = (await h.db.select().from(hosts).orderBy(hosts.name)).map((x) => ({
    id: x.id,
    name: x.name,
    address: x.address,
    hypervisorType: x.hypervisorType,
  }));
});
afterAll(() => h.close());

const code = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

describe(`simulator administration (${testDbKind()})`, () => {
  it("offers exactly the driver's operations", () => {
    expect([...simulatorOperationNames]).toEqual([...simulatorOperations]);
  });

  it("is the root admin's only", async () => {
    for (const c of [tenant, reseller]) {
      const a = api(h.db, c);
      expect(await code(a.simulator.get())).toBe("FORBIDDEN");
      expect(await code(a.simulator.setLatency({ operation: "start", ms: 1 }))).toBe("FORBIDDEN");
      expect(await code(a.simulator.addFault({ operation: "start" }))).toBe("FORBIDDEN");
      expect(await code(a.capacity.summary())).toBe("FORBIDDEN");
    }
  });

  it("sets latency per operation, and the driver applies it", async () => {
    const a = api(h.db, admin);
    await a.simulator.setLatency({ operation: "ping", ms: 300 });
    await a.simulator.setLatency({ operation: "stats", ms: 20 });
    const got = await a.simulator.get();
    expect(got.latencyMs).toEqual({
      ping: 300,
      create: 0,
      start: 0,
      stop: 0,
      reboot: 0,
      destroy: 0,
      list: 0,
      getState: 0,
      stats: 20,
      createVolume: 0,
      deleteVolume: 0,
      resizeVolume: 0,
      attachVolume: 0,
      detachVolume: 0,
      volumeInfo: 0,
      copyVolume: 0,
      attachIso: 0,
      detachIso: 0,
      takeSnapshot: 0,
      restoreSnapshot: 0,
      deleteSnapshot: 0,
      takeVmSnapshot: 0,
      revertVmSnapshot: 0,
      deleteVmSnapshot: 0,
      createVolumeFromSnapshot: 0,
      exportSnapshot: 0,
      exportVolume: 0,
      applyNetwork: 0,
      destroyNetwork: 0,
      checkNetwork: 0,
    });
    const t0 = Date.now();
    await simulatorDriver()!.ping(hostRefs[0]!);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await a.simulator.setLatency({ operation: "ping", ms: 0 });
    expect((await a.simulator.get()).latencyMs.ping).toBe(0);
    expect(await code(a.simulator.setLatency({ operation: "ping", ms: -1 }))).toBe("BAD_REQUEST");
    expect(await code(a.simulator.setLatency({ operation: "teleport" as "ping", ms: 1 }))).toBe("BAD_REQUEST");
  });

  it("injects a host-scoped fault for the next N calls, and removes faults", async () => {
    const a = api(h.db, admin);
    const [h1, h2] = hostRefs;
    const fault = await a.simulator.addFault({ operation: "ping", hostId: h1!.id, remaining: 2, message: "cable unplugged" });
    const listed = (await a.simulator.get()).faults;
    expect(listed).toMatchObject([{ id: fault.id, operation: "ping", hostName: h1!.name, remaining: 2, transient: false, probability: 1 }]);
    const driver = simulatorDriver()!;
    await expect(driver.ping(h2!)).resolves.toMatchObject({ cpuCores: 32 });
    await expect(driver.ping(h1!)).rejects.toThrow(`cable unplugged (simulated ping failure on ${h1!.name})`);
    await expect(driver.ping(h1!)).rejects.toThrow(/cable unplugged/);
    await expect(driver.ping(h1!)).resolves.toMatchObject({ cpuCores: 32 });
    expect((await a.simulator.get()).faults).toEqual([]);

    const lasting = await a.simulator.addFault({ operation: "start", transient: true, probability: 1 });
    expect((await a.simulator.get()).faults).toHaveLength(1);
    await a.simulator.removeFault({ id: lasting.id });
    expect((await a.simulator.get()).faults).toEqual([]);
    expect(await code(a.simulator.removeFault({ id: lasting.id }))).toBe("NOT_FOUND");

    await a.simulator.addFault({ operation: "stop" });
    await a.simulator.setLatency({ operation: "start", ms: 5 });
    expect(await a.simulator.reset({ latency: true })).toEqual({ faultsRemoved: 1 });
    const after = await a.simulator.get();
    expect(after.faults).toEqual([]);
    expect(Object.values(after.latencyMs).every((v) => v === 0)).toBe(true);
  });

  it("refuses bad fault input with messages naming the field", async () => {
    const a = api(h.db, admin);
    await expect(a.simulator.addFault({ operation: "start", probability: 0 })).rejects.toThrow(
      "probability: Probability must be greater than 0",
    );
    await expect(a.simulator.addFault({ operation: "start", remaining: 0 })).rejects.toThrow("remaining: Count must be at least 1");
    await expect(a.simulator.addFault({ operation: "start", hostId: "00000000-0000-4000-8000-000000000000" })).rejects.toThrow(
      "Host not found",
    );
  });

  it("counts the simulated VMs per host", async () => {
    const [h1, h2] = hostRefs;
    await h.db.insert(simulatorVms).values([
      { hostId: h1!.id, name: "i-900001", state: "running", cpuCores: 1, memoryMib: 512 },
      { hostId: h1!.id, name: "i-900002", state: "stopped", cpuCores: 1, memoryMib: 512 },
      { hostId: h2!.id, name: "i-900003", state: "running", cpuCores: 1, memoryMib: 512 },
    ]);
    const got = (await api(h.db, admin).simulator.get()).hosts;
    expect(got.map((x) => [x.hostName, x.vms, x.running])).toEqual([
      ["sim-host-1", 2, 1],
      ["sim-host-2", 1, 1],
      ["sim-host-3", 0, 0],
      ["sim-host-4", 0, 0],
    ]);
    await h.db.delete(simulatorVms).where(sql`true`); // every simulated VM: the whole table is meant
  });
});

describe(`capacity summary (${testDbKind()})`, () => {
  it("shows used, total (× over-provisioning) and physical per zone, cluster and host", async () => {
    const [d] = await api(h.db, tenant).instance.deploy({ ...(await deployChoicesByName(h.db, "Medium")), name: "cap-1" });
    expect(d).toBeDefined();
    const zones = await api(h.db, admin).capacity.summary();
    expect(zones).toHaveLength(1);
    const z = zones[0]!;
    const physicalCpu = 32 * 2400;
    expect(z).toMatchObject({ name: "Zone 1", state: "enabled", vms: 1 });
    expect(z.cpuMhz).toEqual({ used: 4000, total: 4 * physicalCpu * 2, physical: 4 * physicalCpu });
    expect(z.memoryMib).toEqual({ used: 4096, total: 4 * 131072, physical: 4 * 131072 });
    expect(z.clusters).toHaveLength(1);
    const c = z.clusters[0]!;
    expect(c).toMatchObject({ name: "Cluster 1", podName: "Pod 1", cpuOvercommit: 2, memoryOvercommit: 1, vms: 1 });
    expect(c.cpuMhz).toEqual(z.cpuMhz);
    expect(c.hosts.map((x) => x.name)).toEqual(["sim-host-1", "sim-host-2", "sim-host-3", "sim-host-4"]);
    const placed = c.hosts.find((x) => x.vms === 1)!;
    expect(placed.cpuMhz).toEqual({ used: 4000, total: physicalCpu * 2, physical: physicalCpu });
    expect(placed.memoryMib).toEqual({ used: 4096, total: 131072, physical: 131072 });
    expect(c.hosts.filter((x) => x.id !== placed.id).every((x) => x.cpuMhz.used === 0 && x.vms === 0)).toBe(true);
    // A zone without clusters still shows, with zeros.
    await h.db.insert(zonesTable).values({ name: "Empty zone" });
    const again = await api(h.db, admin).capacity.summary();
    expect(again.map((x) => x.name)).toEqual(["Empty zone", "Zone 1"]);
    expect(again[0]).toMatchObject({ vms: 0, clusters: [], cpuMhz: { used: 0, total: 0, physical: 0 } });
    const [row] = await h.db.select().from(hosts).where(eq(hosts.id, placed.id));
    expect(row!.cpuUsedMhz).toBe(4000);

    // A host in maintenance leaves the totals (what it runs still counts as used).
    await h.db.update(hosts).set({ state: "maintenance" }).where(eq(hosts.id, placed.id));
    const [z2] = (await api(h.db, admin).capacity.summary()).filter((x) => x.name === "Zone 1");
    expect(z2!.cpuMhz).toEqual({ used: 4000, total: 3 * physicalCpu * 2, physical: 3 * physicalCpu });
    expect(z2!.clusters[0]!.memoryMib).toEqual({ used: 4096, total: 3 * 131072, physical: 3 * 131072 });
    await h.db.update(hosts).set({ state: "enabled" }).where(eq(hosts.id, placed.id));
  });
});
