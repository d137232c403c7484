import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, instances, simulatorVms } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { simulatorDriver } from "@/server/orchestrator";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { vmInternalName } from "@/server/orchestrator/vm-name";

/** An offering with cpuCap set caps its VMs' CPU: in the simulator, use never exceeds the cap. */
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

describe(`CPU cap on the simulator (${testDbKind()})`, () => {
  it("a capped VM's CPU use stays within offering MHz ÷ host MHz; an uncapped one's does not", async () => {
    const admin = api(h.db, t.callers.admin);
    const tenant = api(h.db, t.callers.tenant);
    // The seeded hosts run at 2400 MHz: a 240 MHz vCPU may use 10 % of a core.
    await admin.computeOffering.create({ name: "Capped", cpuCores: 1, cpuMhz: 240, memoryMib: 512, cpuCap: true, hostTags: [] });
    await admin.computeOffering.create({ name: "Uncapped", cpuCores: 1, cpuMhz: 240, memoryMib: 512, cpuCap: false, hostTags: [] });
    const [capped] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db, "Capped")), name: "capped" });
    const [free] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db, "Uncapped")), name: "free" });
    for (const d of [capped!, free!]) expect((await waitForJob(h.db, d.jobId)).status).toBe("succeeded");

    const [vm] = await h.db.select().from(instances).where(eq(instances.id, capped!.id));
    const [sim] = await h.db
      .select()
      .from(simulatorVms)
      .where(eq(simulatorVms.name, vmInternalName(vm!)));
    expect(sim!.cpuCapPercent).toBeCloseTo(10);
    const [freeVm] = await h.db.select().from(instances).where(eq(instances.id, free!.id));
    const [host] = await h.db.select().from(hosts).where(eq(hosts.id, vm!.hostId!));

    // Sample the simulated guests over an hour of simulated time (busy spells included).
    const maxOf = { capped: 0, free: 0 };
    const now = Date.now();
    const clock = vi.spyOn(Date, "now");
    try {
      for (let minute = 0; minute < 60; minute++) {
        clock.mockReturnValue(now + minute * 60_000);
        for (const s of await simulatorDriver()!.stats(hostRefOf(host!))) {
          if (s.name === vmInternalName(vm!)) maxOf.capped = Math.max(maxOf.capped, s.cpuPercent);
          if (s.name === vmInternalName(freeVm!)) maxOf.free = Math.max(maxOf.free, s.cpuPercent);
        }
      }
    } finally {
      clock.mockRestore();
    }
    expect(maxOf.capped).toBeGreaterThan(0);
    expect(maxOf.capped).toBeLessThanOrEqual(10);
    expect(maxOf.free).toBeGreaterThan(10);
  });
});
