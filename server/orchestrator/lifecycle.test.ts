import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, instances, simulatorVms, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { accountLimits } from "@/server/core/limits";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const vmRow = async (id: string) => (await h.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const usageTypes = async (id: string) =>
  (await h.db.select({ type: usageEvents.type }).from(usageEvents).where(eq(usageEvents.resourceId, id)).orderBy(usageEvents.seq)).map(
    (r) => r.type,
  );
const used = async (type: string) => (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === type)!.used;

describe(`VM lifecycle on the simulator (${testDbKind()})`, () => {
  it("deploys, stops, starts, reboots, destroys, recovers and expunges a VM", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const choices = await deployChoicesByName(h.db);
    const [deployed] = await tenant.instance.deploy({ ...choices, name: "web-1" });
    expect((await waitForJob(h.db, deployed!.jobId)).status).toBe("succeeded");
    let vm = await vmRow(deployed!.id);
    expect(vm.state).toBe("running");
    expect(vm.capacityReserved).toBe(true);
    const [sim] = await h.db
      .select()
      .from(simulatorVms)
      .where(eq(simulatorVms.name, `i-${vm.number}`));
    expect(sim?.state).toBe("running");
    expect(await used("instances")).toBe(1);
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, vm.hostId!));
    expect(host!.cpuUsedMhz).toBe(1000);

    await waitForJob(h.db, (await tenant.instance.stop({ id: vm.id })).jobId);
    vm = await vmRow(vm.id);
    expect(vm.state).toBe("stopped");
    expect(vm.capacityReserved).toBe(false);
    expect((await h.db.select().from(hosts).where(eq(hosts.id, vm.hostId!)))[0]!.cpuUsedMhz).toBe(0);

    await waitForJob(h.db, (await tenant.instance.start({ id: vm.id })).jobId);
    expect((await vmRow(vm.id)).state).toBe("running");
    expect((await waitForJob(h.db, (await tenant.instance.reboot({ id: vm.id })).jobId)).status).toBe("succeeded");

    await waitForJob(h.db, (await tenant.instance.destroy({ id: vm.id })).jobId);
    vm = await vmRow(vm.id);
    expect(vm.state).toBe("destroyed");
    expect(await used("instances")).toBe(0);

    await tenant.instance.recover({ id: vm.id });
    expect((await vmRow(vm.id)).state).toBe("stopped");
    expect(await used("instances")).toBe(1);

    await waitForJob(h.db, (await tenant.instance.destroy({ id: vm.id })).jobId);
    await waitForJob(h.db, (await tenant.instance.expunge({ id: vm.id })).jobId);
    vm = await vmRow(vm.id);
    expect(vm.state).toBe("expunged");
    expect(
      await h.db
        .select()
        .from(simulatorVms)
        .where(eq(simulatorVms.name, `i-${vm.number}`)),
    ).toHaveLength(0);
    expect(await used("instances")).toBe(0);
    expect(await usageTypes(vm.id)).toEqual([
      "VM.CREATE",
      "VM.START",
      "VM.STOP",
      "VM.START",
      "VM.STOP",
      "VM.DESTROY",
      "VM.CREATE",
      "VM.DESTROY",
      "VM.EXPUNGE",
    ]);
  });

  it("refuses a second operation while one is in flight", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "busy-1" });
    const second = await tenant.instance.stop({ id: d!.id }).catch((e: Error) => e);
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toMatch(/Cannot stop instance busy-1 while it is starting|already in progress/);
    await waitForJob(h.db, d!.jobId);
  });

  it("changes the offering of a stopped VM, counting the difference against limits", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "scale-1" });
    await waitForJob(h.db, d!.jobId);
    const before = await used("vcpus");
    const medium = await deployChoicesByName(h.db, "Medium");
    const refused = await tenant.instance.changeOffering({ id: d!.id, computeOfferingId: medium.computeOfferingId }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/while it is running/);
    await waitForJob(h.db, (await tenant.instance.stop({ id: d!.id })).jobId);
    await tenant.instance.changeOffering({ id: d!.id, computeOfferingId: medium.computeOfferingId });
    expect(await used("vcpus")).toBe(before + 1);
    const vm = await vmRow(d!.id);
    expect(vm.cpuCores).toBe(2);
    expect(await usageTypes(vm.id)).toContain("VM.UPGRADE");
    await waitForJob(h.db, (await tenant.instance.start({ id: d!.id })).jobId);
    expect((await vmRow(d!.id)).state).toBe("running");
  });

  it("another tenant cannot see or operate the VM", async () => {
    const [vm] = await h.db
      .select()
      .from(instances)
      .where(and(eq(instances.name, "scale-1")));
    const other = api(h.db, t.callers.tenant2);
    await expect(other.instance.get({ id: vm!.id })).rejects.toThrow(/Instance not found/);
    await expect(other.instance.stop({ id: vm!.id })).rejects.toThrow(/Instance not found/);
    expect((await other.instance.list({})).items).toHaveLength(0);
    const reseller = await api(h.db, t.callers.reseller).instance.list({});
    expect(reseller.items.map((i) => i.name)).toContain("scale-1");
    expect((await api(h.db, t.callers.reseller2).instance.list({})).items).toHaveLength(0);
  });
});
