import { and, desc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, hosts, instances, simulatorVms, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import {
  capacityViolations,
  clearFaults,
  deployChoicesByName,
  injectFault,
  testWorkers,
  usageSequence,
  waitForJob,
} from "@/test/orchestrator";
import { simulatorDriver } from "@/server/orchestrator";
import { registerDriver } from "@/server/orchestrator/drivers/registry";
import type { HostRef } from "@/server/orchestrator/drivers/types";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { reconcileAll, reconcileHost } from "./reconciler";

/** The reconciler brings Stratus's view in line with what the (simulated) hypervisors report. */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vms: { id: string; name: string; number: number; hostId: string }[];
let host1: typeof hosts.$inferSelect;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h, "reconciler-worker");
  const deployed = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "rec", count: 3 });
  for (const d of deployed) expect((await waitForJob(h.db, d.jobId)).status).toBe("succeeded");
  const rows = await h.db
    .select()
    .from(instances)
    .where(
      inArray(
        instances.id,
        deployed.map((d) => d.id),
      ),
    )
    .orderBy(instances.name);
  vms = rows.map((r) => ({ id: r.id, name: r.name, number: r.number, hostId: r.hostId! }));
  // First fit: all three on the first host.
  expect(new Set(vms.map((v) => v.hostId)).size).toBe(1);
  host1 = (await h.db.select().from(hosts).where(eq(hosts.id, vms[0]!.hostId)))[0]!;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const ref = (x: typeof hosts.$inferSelect): HostRef => ({ id: x.id, name: x.name, address: x.address, hypervisorType: x.hypervisorType });
const hostRow = async (id: string) => (await h.db.select().from(hosts).where(eq(hosts.id, id)))[0]!;
const vmRow = async (id: string) => (await h.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const eventsOf = async (resourceId: string, type: string) =>
  h.db
    .select()
    .from(events)
    .where(and(eq(events.resourceId, resourceId), eq(events.type, type)));
const countUsage = async (resourceId: string, type: string) =>
  (
    await h.db
      .select()
      .from(usageEvents)
      .where(and(eq(usageEvents.resourceId, resourceId), eq(usageEvents.type, type)))
  ).length;

describe(`reconciler (${testDbKind()})`, () => {
  it("an out-of-band stop turns the VM Stopped once: one event, one VM.STOP, capacity released", async () => {
    const [a, b] = vms;
    // a: the hypervisor's record changed behind Stratus's back; b: the driver's stop called directly.
    await h.db
      .update(simulatorVms)
      .set({ state: "stopped" })
      .where(and(eq(simulatorVms.hostId, host1.id), eq(simulatorVms.name, vmInternalName(a!))));
    await simulatorDriver()!.stop(ref(host1), vmInternalName(b!));
    const before = await hostRow(host1.id);

    const report = await reconcileHost(h.db, await hostRow(host1.id));
    expect(report.status).toBe("up");
    expect(report.changed.sort((x, y) => x.vm.localeCompare(y.vm))).toEqual([
      { vm: a!.name, from: "running", to: "stopped" },
      { vm: b!.name, from: "running", to: "stopped" },
    ]);
    await reconcileAll(h.db);
    expect((await reconcileHost(h.db, await hostRow(host1.id))).changed).toEqual([]);

    for (const v of [a!, b!]) {
      const row = await vmRow(v.id);
      expect([row.state, row.capacityReserved]).toEqual(["stopped", false]);
      expect(await eventsOf(v.id, "VM.STOPPED.OUT_OF_BAND")).toHaveLength(1);
      expect(await countUsage(v.id, "VM.STOP")).toBe(1);
      expect(await usageSequence(h.db, v.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP"]);
    }
    const after = await hostRow(host1.id);
    expect([after.cpuUsedMhz, after.memoryUsedMib]).toEqual([before.cpuUsedMhz - 2000, before.memoryUsedMib - 2048]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("an out-of-band start turns the VM Running once, counting its capacity again", async () => {
    const a = vms[0]!;
    await h.db
      .update(simulatorVms)
      .set({ state: "running" })
      .where(and(eq(simulatorVms.hostId, host1.id), eq(simulatorVms.name, vmInternalName(a))));
    expect((await reconcileHost(h.db, await hostRow(host1.id))).changed).toEqual([{ vm: a.name, from: "stopped", to: "running" }]);
    await reconcileAll(h.db);
    const row = await vmRow(a.id);
    expect([row.state, row.capacityReserved]).toEqual(["running", true]);
    expect(await eventsOf(a.id, "VM.RUNNING.OUT_OF_BAND")).toHaveLength(1);
    expect(await usageSequence(h.db, a.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP", "VM.START"]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("a VM unknown to Stratus on a host is reported once", async () => {
    const [host2] = await h.db.select().from(hosts).where(eq(hosts.name, "sim-host-2"));
    await h.db.insert(simulatorVms).values({ hostId: host2!.id, name: "i-999999", state: "running", cpuCores: 1, memoryMib: 512 });
    const reportedUnknown = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const reports = await reconcileAll(h.db, { reportedUnknown });
      expect(reports.find((r) => r.hostId === host2!.id)!.unknownVms).toEqual(["i-999999"]);
      expect(reports.filter((r) => r.hostId !== host2!.id).flatMap((r) => r.unknownVms)).toEqual([]);
    }
    const reported = await eventsOf(host2!.id, "HOST.UNKNOWN_VM");
    expect(reported).toHaveLength(1);
    expect(reported[0]!.description).toBe("Host sim-host-2 runs i-999999 (running), which Stratus does not manage");
    // It is not adopted: no instance row appears, and the host's capacity is untouched.
    expect((await hostRow(host2!.id)).memoryUsedMib).toBe(0);
  });

  it("a silent host goes Disconnected, then Down (its VMs Unknown), then Up with the VMs' true states", async () => {
    const [a, b, c] = vms;
    // b is stopped since the first test: put everything running again first.
    await simulatorDriver()!.start(ref(host1), {
      name: vmInternalName(b!),
      displayName: b!.name,
      cpuCores: 1,
      cpuMhz: 1000,
      memoryMib: 1024,
      template: { id: "", path: "", format: "", sizeGib: 1 },
    });
    await reconcileHost(h.db, await hostRow(host1.id));
    expect((await Promise.all(vms.map((v) => vmRow(v.id)))).map((r) => r.state)).toEqual(["running", "running", "running"]);

    await injectFault(h.db, { operation: "list", hostId: host1.id, message: "connection refused" });
    let report = await reconcileHost(h.db, await hostRow(host1.id));
    expect(report.status).toBe("disconnected");
    expect((await hostRow(host1.id)).status).toBe("disconnected");
    expect(await eventsOf(host1.id, "HOST.DISCONNECTED")).toHaveLength(1);
    // Disconnected for a moment: the VMs keep their state.
    expect((await Promise.all(vms.map((v) => vmRow(v.id)))).map((r) => r.state)).toEqual(["running", "running", "running"]);
    // Other hosts are not affected by this host's fault.
    expect((await reconcileAll(h.db)).filter((r) => r.hostId !== host1.id).every((r) => r.status === "up")).toBe(true);

    // Silent for longer than the down delay.
    const lastSeen = new Date(Date.now() - 10 * 60_000);
    await h.db.update(hosts).set({ lastSeenAt: lastSeen }).where(eq(hosts.id, host1.id));
    report = await reconcileHost(h.db, await hostRow(host1.id));
    expect(report.status).toBe("down");
    expect(report.changed.map((x) => x.to)).toEqual(["unknown", "unknown", "unknown"]);
    expect((await hostRow(host1.id)).status).toBe("down");
    expect(await eventsOf(host1.id, "HOST.DOWN")).toHaveLength(1);
    for (const v of vms) {
      expect((await vmRow(v.id)).state).toBe("unknown");
      expect(await eventsOf(v.id, "VM.UNKNOWN")).toHaveLength(1);
      // Billing stopped when the host was last seen, not when Stratus noticed (10 minutes later).
      const [stop] = await h.db
        .select()
        .from(usageEvents)
        .where(and(eq(usageEvents.resourceId, v.id), eq(usageEvents.type, "VM.STOP")))
        .orderBy(desc(usageEvents.seq))
        .limit(1);
      expect(stop!.occurredAt.getTime()).toBe(lastSeen.getTime());
      expect(await usageSequence(h.db, v.id).then((seq) => seq.at(-1))).toBe("VM.STOP");
    }
    // Still silent: nothing more happens.
    expect((await reconcileHost(h.db, await hostRow(host1.id))).changed).toEqual([]);
    expect(await eventsOf(host1.id, "HOST.DOWN")).toHaveLength(1);
    // Unknown VMs keep their reservation: the planner must not hand the room to someone else.
    expect(await capacityViolations(h.db)).toEqual([]);

    // Meanwhile c really stopped (say it crashed with its host); a and b still run.
    await h.db
      .update(simulatorVms)
      .set({ state: "stopped" })
      .where(and(eq(simulatorVms.hostId, host1.id), eq(simulatorVms.name, vmInternalName(c!))));
    await clearFaults(h.db);
    report = await reconcileHost(h.db, await hostRow(host1.id));
    expect(report.status).toBe("up");
    const back = await hostRow(host1.id);
    expect(back.status).toBe("up");
    expect(back.lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await eventsOf(host1.id, "HOST.UP")).toHaveLength(1);
    expect((await Promise.all([a!, b!, c!].map((v) => vmRow(v.id)))).map((r) => [r.state, r.capacityReserved])).toEqual([
      ["running", true],
      ["running", true],
      ["stopped", false],
    ]);
    // c was running before its host went silent: one stop fact (when last seen), none more when
    // found stopped. a and b are billed again from when they were seen running: one start each.
    expect(await usageSequence(h.db, c!.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP"]);
    expect(await usageSequence(h.db, a!.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP", "VM.START", "VM.STOP", "VM.START"]);
    expect(await usageSequence(h.db, b!.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP", "VM.START", "VM.STOP", "VM.START"]);
    await reconcileAll(h.db);
    expect(await countUsage(c!.id, "VM.STOP")).toBe(1);
    expect(await countUsage(a!.id, "VM.STOP")).toBe(2);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("a listing taken before a job changed the VM does not undo the job (no false out-of-band stop)", async () => {
    const a = vms[0]!;
    const tenant = api(h.db, t.callers.tenant);
    expect((await waitForJob(h.db, (await tenant.instance.stop({ id: a.id })).jobId)).status).toBe("succeeded");
    const sim = simulatorDriver()!;
    // A slow host: the listing is read, and only returned after the start job has finished.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    registerDriver(
      "simulator",
      Object.assign(Object.create(sim) as typeof sim, {
        list: async (hr: HostRef) => {
          const listed = await sim.list(hr);
          await gate;
          return listed;
        },
      }),
    );
    try {
      const reconciling = reconcileHost(h.db, await hostRow(host1.id));
      await new Promise((r) => setTimeout(r, 100));
      expect((await waitForJob(h.db, (await tenant.instance.start({ id: a.id })).jobId)).status).toBe("succeeded");
      release();
      const report = await reconciling;
      expect(report.changed).toEqual([]);
    } finally {
      registerDriver("simulator", sim);
    }
    expect((await vmRow(a.id)).state).toBe("running");
    expect(await eventsOf(a.id, "VM.STOPPED.OUT_OF_BAND")).toHaveLength(1);
    await reconcileAll(h.db);
    expect((await vmRow(a.id)).state).toBe("running");
    // Exactly one stop and one start since the earlier facts: no phantom stop/start pair.
    expect(await usageSequence(h.db, a.id)).toEqual([
      "VM.CREATE",
      "VM.START",
      "VM.STOP",
      "VM.START",
      "VM.STOP",
      "VM.START",
      "VM.STOP",
      "VM.START",
    ]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });
});
