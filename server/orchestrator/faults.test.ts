import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, hosts, instances, simulatorFaults, simulatorVms } from "@/db/schema";
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
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { accountLimits } from "@/server/core/limits";

/** Injected simulator faults: each error path leaves a truthful VM, released capacity, and a cause. */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h, "faults-worker");
});
afterEach(() => clearFaults(h.db));
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const vmRow = async (id: string) => (await h.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const used = async (type: string) => (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === type)!.used;
const totalReserved = async () => (await h.db.select().from(hosts)).reduce((s, x) => s + Number(x.memoryUsedMib), 0);
const simVm = async (vm: { number: number }) =>
  (
    await h.db
      .select()
      .from(simulatorVms)
      .where(eq(simulatorVms.name, vmInternalName(vm)))
  )[0];
const eventsOf = async (resourceId: string, type: string) =>
  h.db
    .select()
    .from(events)
    .where(and(eq(events.resourceId, resourceId), eq(events.type, type)));

describe(`injected faults (${testDbKind()})`, () => {
  it("a permanent start fault fails the deploy: VM in Error, capacity released, limits kept until destroy and expunge", async () => {
    await injectFault(h.db, { operation: "start", message: "no bootable disk" });
    const reservedBefore = await totalReserved();
    const instancesBefore = await used("instances");
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "doomed" });
    const job = await waitForJob(h.db, d!.jobId);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/^no bootable disk \(simulated start failure on sim-host-\d\)$/);
    expect(job.attempts).toBe(1);
    let vm = await vmRow(d!.id);
    expect([vm.state, vm.capacityReserved]).toEqual(["error", false]);
    expect(await totalReserved()).toBe(reservedBefore);
    expect(await used("instances")).toBe(instancesBefore + 1);
    const failed = await eventsOf(vm.id, "VM.START.FAILED");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe("error");
    expect(failed[0]!.description).toContain("no bootable disk");
    expect(await capacityViolations(h.db)).toEqual([]);
    // The instance page shows the cause.
    const detail = await tenant().instance.get({ id: vm.id });
    expect(detail.recentJobs[0]!.error).toContain("no bootable disk");

    await clearFaults(h.db);
    expect((await waitForJob(h.db, (await tenant().instance.destroy({ id: vm.id })).jobId)).status).toBe("succeeded");
    vm = await vmRow(vm.id);
    expect(vm.state).toBe("destroyed");
    expect(await used("instances")).toBe(instancesBefore);
    expect((await waitForJob(h.db, (await tenant().instance.expunge({ id: vm.id })).jobId)).status).toBe("succeeded");
    expect((await vmRow(vm.id)).state).toBe("expunged");
    expect(await simVm(vm)).toBeUndefined();
    expect(await used("instances")).toBe(instancesBefore);
    expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.DESTROY", "VM.EXPUNGE"]);
  });

  it("an Error VM expunged directly gives its limits back then", async () => {
    await injectFault(h.db, { operation: "start", message: "no bootable disk" });
    const before = { instances: await used("instances"), vcpus: await used("vcpus"), memory: await used("memory_mib") };
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "doomed-2" });
    expect((await waitForJob(h.db, d!.jobId)).status).toBe("failed");
    await clearFaults(h.db);
    expect(await used("instances")).toBe(before.instances + 1);
    expect((await waitForJob(h.db, (await tenant().instance.expunge({ id: d!.id })).jobId)).status).toBe("succeeded");
    expect((await vmRow(d!.id)).state).toBe("expunged");
    expect({ instances: await used("instances"), vcpus: await used("vcpus"), memory: await used("memory_mib") }).toEqual(before);
    expect(await usageSequence(h.db, d!.id)).toEqual(["VM.CREATE", "VM.EXPUNGE"]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("a transient one-shot create fault is retried and the deploy succeeds", async () => {
    const faultId = await injectFault(h.db, { operation: "create", remaining: 1, transient: true, message: "host busy" });
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "retried" });
    const job = await waitForJob(h.db, d!.jobId);
    expect(job.status).toBe("succeeded");
    expect(job.attempts).toBe(2);
    expect(job.steps).toEqual(["root-volume", "networks", "security-groups", "define", "start"]);
    // Consumed: the one-shot fault is gone.
    expect(await h.db.select().from(simulatorFaults).where(eq(simulatorFaults.id, faultId))).toEqual([]);
    const vm = await vmRow(d!.id);
    expect([vm.state, vm.capacityReserved]).toEqual(["running", true]);
    expect((await simVm(vm))?.state).toBe("running");
    expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START"]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("a one-shot fault with a count fails exactly that many calls", async () => {
    await injectFault(h.db, { operation: "reboot", remaining: 2, message: "guest agent hung" });
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "reboots" });
    await waitForJob(h.db, d!.jobId);
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await waitForJob(h.db, (await tenant().instance.reboot({ id: d!.id })).jobId)).status);
    expect(results).toEqual(["failed", "failed", "succeeded"]);
    expect(await eventsOf(d!.id, "VM.REBOOT.FAILED")).toHaveLength(2);
    expect((await vmRow(d!.id)).state).toBe("running");
  });

  it("a failed stop leaves the VM Running, with the cause in the job and an event", async () => {
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "stubborn" });
    await waitForJob(h.db, d!.jobId);
    const reserved = await totalReserved();
    await injectFault(h.db, { operation: "stop", message: "ACPI shutdown ignored" });
    const job = await waitForJob(h.db, (await tenant().instance.stop({ id: d!.id })).jobId);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/^ACPI shutdown ignored \(simulated stop failure on sim-host-\d\)$/);
    const vm = await vmRow(d!.id);
    expect([vm.state, vm.capacityReserved]).toEqual(["running", true]);
    expect((await simVm(vm))?.state).toBe("running");
    expect(await totalReserved()).toBe(reserved);
    const failed = await eventsOf(vm.id, "VM.STOP.FAILED");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.description).toContain("ACPI shutdown ignored");
    expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START"]);

    // Once the fault is gone the stop works.
    await clearFaults(h.db);
    expect((await waitForJob(h.db, (await tenant().instance.stop({ id: vm.id })).jobId)).status).toBe("succeeded");
    expect((await vmRow(vm.id)).state).toBe("stopped");
    expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP"]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });

  it("a host-scoped fault hits only that host", async () => {
    const [host2] = await h.db.select().from(hosts).where(eq(hosts.name, "sim-host-2"));
    await injectFault(h.db, { operation: "start", hostId: host2!.id, message: "only host 2" });
    // First fit puts new VMs on sim-host-1: unaffected.
    const [d] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "elsewhere" });
    expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
    expect((await vmRow(d!.id)).hostId).not.toBe(host2!.id);
  });
});
