import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, events, instances, simulatorVms } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { clearFaults, deployChoicesByName, injectFault, testWorkers, waitForJob } from "@/test/orchestrator";
import { ownedTemplate } from "@/test/templates";

/**
 * ISOs in a VM's CD-ROM on the simulator, through the real router: attach (with boot from ISO),
 * kept by a stop and start, detach; the scope rule of deploy (templateUsableBy); bad input and a
 * failing host leave the VM as it was.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vmId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "iso-vm" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  vmId = vm!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const owner = () => ({ accountId: t.tenantAccount.id, domainId: t.domains.acme.id });
const vmRow = async () => (await h.db.select().from(instances).where(eq(instances.id, vmId)))[0]!;
const simRow = async () => {
  const vm = await vmRow();
  return (
    await h.db
      .select()
      .from(simulatorVms)
      .where(and(eq(simulatorVms.hostId, vm.hostId!), eq(simulatorVms.name, `i-${vm.number}`)))
  )[0]!;
};
const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
};
async function job(p: Promise<{ jobId: string }>) {
  return waitForJob(h.db, (await p).jobId);
}
const eventTypes = async () =>
  (await h.db.select({ type: events.type }).from(events).where(eq(events.resourceId, vmId))).map((e) => e.type);

describe(`ISOs on instances (${testDbKind()})`, () => {
  it("attaches a usable ISO with boot from ISO, keeps it over a stop and start, and detaches it", async () => {
    const iso = await ownedTemplate(h.db, "rescue-iso", owner(), { format: "iso", path: "/secondary/rescue.iso" });
    expect((await tenant().instance.isoChoices({ id: vmId })).map((i) => i.name)).toContain("rescue-iso");
    const attached = await job(tenant().instance.attachIso({ id: vmId, isoId: iso.id, bootFromIso: true }));
    expect(attached.status, attached.error ?? "").toBe("succeeded");
    expect(await vmRow()).toMatchObject({ isoId: iso.id, bootFromIso: true });
    expect(await simRow()).toMatchObject({ isoPath: "/secondary/rescue.iso" });
    expect((await tenant().instance.get({ id: vmId })).isoName).toBe("rescue-iso");

    // Each start defines the VM anew: the ISO and the boot order are part of the definition.
    expect((await job(tenant().instance.stop({ id: vmId }))).status).toBe("succeeded");
    await h.db
      .update(simulatorVms)
      .set({ isoPath: null, bootFromIso: false })
      .where(eq(simulatorVms.name, (await simRow()).name));
    expect((await job(tenant().instance.start({ id: vmId }))).status).toBe("succeeded");
    expect(await simRow()).toMatchObject({ isoPath: "/secondary/rescue.iso", bootFromIso: true });

    // An attached ISO cannot be deleted from under the VM.
    expect((await error(tenant().template.delete({ id: iso.id }))).code).toBe("CONFLICT");

    const detached = await job(tenant().instance.detachIso({ id: vmId }));
    expect(detached.status, detached.error ?? "").toBe("succeeded");
    expect(await vmRow()).toMatchObject({ isoId: null, bootFromIso: false });
    expect(await simRow()).toMatchObject({ isoPath: null });
    expect((await error(tenant().instance.detachIso({ id: vmId }))).message).toBe("No ISO is attached to iso-vm");
    expect(await eventTypes()).toEqual(expect.arrayContaining(["VM.ISO.ATTACH", "VM.ISO.ATTACHED", "VM.ISO.DETACH", "VM.ISO.DETACHED"]));
  });

  it("refuses ISOs the VM's account may not use, templates that are not ISOs, and bad input", async () => {
    const [other] = await h.db.select().from(accounts).where(eq(accounts.name, "initech-dev"));
    const foreign = await ownedTemplate(h.db, "initech-iso", { accountId: other!.id, domainId: other!.domainId }, { format: "iso" });
    const disk = await ownedTemplate(h.db, "disk-image", owner());
    const downloading = await ownedTemplate(h.db, "half-iso", owner(), { format: "iso", status: "downloading" });
    for (const isoId of [foreign.id, disk.id, downloading.id]) {
      const e = await error(tenant().instance.attachIso({ id: vmId, isoId }));
      expect([e.code, e.message]).toEqual(["NOT_FOUND", "ISO not found"]);
    }
    const names = (await tenant().instance.isoChoices({ id: vmId })).map((i) => i.name);
    expect(names).not.toContain("initech-iso");
    expect(names).not.toContain("disk-image");
    expect(names).not.toContain("half-iso");
    const bad = await error(tenant().instance.attachIso({ id: vmId, isoId: "not-an-id" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/isoId/);
    // Another tenant cannot touch the VM, even with an ISO it may use.
    const theirs = await error(api(h.db, t.callers.tenant2).instance.attachIso({ id: vmId, isoId: foreign.id }));
    expect(theirs.code).toBe("NOT_FOUND");
    expect(await vmRow()).toMatchObject({ isoId: null });
  });

  it("a host that fails the attach leaves the CD-ROM as it was, with an error event", async () => {
    const iso = await ownedTemplate(h.db, "failing-iso", owner(), { format: "iso", path: "/secondary/failing.iso" });
    await injectFault(h.db, { operation: "attachIso", remaining: 1, message: "drive jammed" });
    try {
      const failed = await job(tenant().instance.attachIso({ id: vmId, isoId: iso.id }));
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/drive jammed/);
    } finally {
      await clearFaults(h.db);
    }
    expect(await vmRow()).toMatchObject({ isoId: null, bootFromIso: false });
    expect(await simRow()).toMatchObject({ isoPath: null });
    expect(await eventTypes()).toContain("VM.ISO.ATTACH.FAILED");
  });
});
