import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { hosts, instances, jobs, simulatorVms, templates } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { killAllWorkers, spawnWorker } from "@/test/processes";
import {
  capacityViolations,
  deployChoicesByName,
  setSimLatency,
  testWorkers,
  usageSequence,
  waitFor,
  waitForJob,
} from "@/test/orchestrator";
import { registerOrchestrator, simulatorDriver } from "@/server/orchestrator";
import type { HostRef, VmSpec } from "@/server/orchestrator/drivers/types";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { claimJob, markStepDone } from "@/server/orchestrator/jobs/queue";
import { accountLimits } from "@/server/core/limits";
import { rootVolumeOf } from "@/server/core/volumes";
import { loadVolumeRef } from "@/server/orchestrator/volume-ref";

/**
 * A process that dies mid-job (SIGKILL: no clean-up of any kind) must not leave a VM half-made,
 * capacity or limits leaked, or a usage fact doubled: its lease expires, another process claims
 * the job, skips the steps already done and finishes it. On PostgreSQL with real processes; on
 * PGlite (one process only) by abandoning a claimed job in-process.
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  registerOrchestrator(h);
});
afterAll(async () => {
  await killAllWorkers();
  await h.close();
});

const vmRow = async (id: string) => (await h.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const jobRow = async (id: string) => (await h.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;
const simState = async (vm: { number: number }) =>
  (
    await h.db
      .select()
      .from(simulatorVms)
      .where(eq(simulatorVms.name, vmInternalName(vm)))
  )[0]?.state ?? "missing";
const used = async (type: string) => (await accountLimits(h.db, t.tenantAccount.id)).find((r) => r.resourceType === type)!.used;
const hostUse = async (id: string) => {
  const [x] = await h.db.select({ cpu: hosts.cpuUsedMhz, mem: hosts.memoryUsedMib }).from(hosts).where(eq(hosts.id, id));
  return [Number(x!.cpu), Number(x!.mem)];
};

async function refsFor(vmId: string): Promise<{ host: HostRef; spec: VmSpec }> {
  const vm = await vmRow(vmId);
  const [hr] = await h.db.select().from(hosts).where(eq(hosts.id, vm.hostId!));
  const [tp] = await h.db.select().from(templates).where(eq(templates.id, vm.templateId));
  return {
    host: { id: hr!.id, name: hr!.name, address: hr!.address, hypervisorType: hr!.hypervisorType },
    spec: {
      name: vmInternalName(vm),
      displayName: vm.name,
      cpuCores: vm.cpuCores,
      cpuMhz: vm.cpuMhz,
      memoryMib: vm.memoryMib,
      template: { id: tp!.id, path: tp!.path, format: tp!.format, sizeGib: tp!.sizeGib },
    },
  };
}

describe(`a worker dies mid-job and another finishes it (${testDbKind()})`, () => {
  if (testDbKind() === "postgres") {
    it("real processes: SIGKILL during start, then during stop; the next process resumes each job cleanly", async () => {
      const url = h.url!;
      const tenant = api(h.db, t.callers.tenant);
      await setSimLatency(h.db, { start: 3000 });
      const a = await spawnWorker(url, "crash-a", { STRATUS_LEASE_MS: "2000" });
      const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "crash-1" });
      // A defined the VM and is inside the 3 s start call: kill it there.
      await waitFor("A inside the start step", async () => {
        const j = await jobRow(d!.jobId);
        return j.lockedBy === "crash-a" && j.steps.includes("define");
      });
      await a.kill("SIGKILL");
      let job = await jobRow(d!.jobId);
      expect([job.status, job.lockedBy, job.steps]).toEqual([
        "running",
        "crash-a",
        ["root-volume", "networks", "security-groups", "define"],
      ]);
      let vm = await vmRow(d!.id);
      expect(vm.state).toBe("starting");
      expect(await simState(vm)).toBe("stopped");

      await setSimLatency(h.db, { stop: 3000 });
      const b = await spawnWorker(url, "crash-b", { STRATUS_LEASE_MS: "2000" });
      job = await waitForJob(h.db, d!.jobId, 30_000);
      expect(job.status, `${job.error}\n${b.output()}`).toBe("succeeded");
      expect(job.lockedBy).toBe("crash-b");
      expect(job.attempts).toBe(2);
      expect(job.steps).toEqual(["root-volume", "networks", "security-groups", "define", "start"]);
      vm = await vmRow(d!.id);
      expect([vm.state, vm.capacityReserved]).toEqual(["running", true]);
      expect(await simState(vm)).toBe("running");
      expect(await hostUse(vm.hostId!)).toEqual([1000, 1024]);
      expect(await used("instances")).toBe(1);
      expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START"]);

      // Now B dies inside the stop call; C finishes the stop.
      const { jobId: stopJob } = await tenant.instance.stop({ id: vm.id });
      await waitFor("B inside the stop step", async () => (await jobRow(stopJob)).lockedBy === "crash-b");
      await new Promise((r) => setTimeout(r, 300));
      await b.kill("SIGKILL");
      expect((await vmRow(vm.id)).state).toBe("stopping");
      expect(await simState(vm)).toBe("running");
      await setSimLatency(h.db, {});
      const c = await spawnWorker(url, "crash-c", { STRATUS_LEASE_MS: "2000" });
      job = await waitForJob(h.db, stopJob, 30_000);
      expect(job.status, `${job.error}\n${c.output()}`).toBe("succeeded");
      expect([job.lockedBy, job.attempts, job.steps]).toEqual(["crash-c", 2, ["stop"]]);
      vm = await vmRow(vm.id);
      expect([vm.state, vm.capacityReserved]).toEqual(["stopped", false]);
      expect(await simState(vm)).toBe("stopped");
      expect(await hostUse(vm.hostId!)).toEqual([0, 0]);
      expect(await used("instances")).toBe(1);

      expect((await waitForJob(h.db, (await tenant.instance.destroy({ id: vm.id })).jobId)).status).toBe("succeeded");
      expect(await used("instances")).toBe(0);
      expect(await used("memory_mib")).toBe(0);
      expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP", "VM.DESTROY"]);
      expect(await capacityViolations(h.db)).toEqual([]);
      await c.kill("SIGTERM");
    }, 120_000);
  } else {
    it("in-process: a job claimed and abandoned mid-way is resumed by another owner once its lease expires", async () => {
      const tenant = api(h.db, t.callers.tenant);
      const driver = simulatorDriver()!;
      const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "crash-1" });
      // The "dead" owner claims the job, defines the VM (and records the step), then vanishes
      // during the start call: no heartbeat, no completion.
      const claimed = await claimJob(h.db, "dead-owner", 300);
      expect(claimed?.id).toBe(d!.jobId);
      const { host, spec } = await refsFor(d!.id);
      const root = (await rootVolumeOf(h.db, d!.id))!;
      await driver.createVolume(host, (await loadVolumeRef(h.db, root))!, { sizeGib: root.sizeGib, template: spec.template });
      await markStepDone(h.db, d!.jobId, "dead-owner", "root-volume");
      await driver.create(host, spec);
      await markStepDone(h.db, d!.jobId, "dead-owner", "define");
      // While its lease holds, nobody else may take the job.
      expect(await claimJob(h.db, "survivor", 5000)).toBeNull();
      await new Promise((r) => setTimeout(r, 400));

      let workers = testWorkers(h, "survivor");
      let job = await waitForJob(h.db, d!.jobId);
      await workers.stop();
      expect(job.status).toBe("succeeded");
      expect([job.lockedBy, job.attempts, job.steps]).toEqual([
        "survivor",
        2,
        ["root-volume", "define", "networks", "security-groups", "start"],
      ]);
      let vm = await vmRow(d!.id);
      expect([vm.state, vm.capacityReserved]).toEqual(["running", true]);
      expect(await simState(vm)).toBe("running");
      expect(await hostUse(vm.hostId!)).toEqual([1000, 1024]);
      expect(await used("instances")).toBe(1);
      expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START"]);

      // The stop: the dead owner's driver call went through (the VM is off) but it died before
      // recording anything. The survivor stops again (idempotent) and records one VM.STOP.
      const { jobId: stopJob } = await tenant.instance.stop({ id: vm.id });
      expect((await claimJob(h.db, "dead-owner-2", 300))?.id).toBe(stopJob);
      await driver.stop(host, spec.name);
      expect(await simState(vm)).toBe("stopped");
      expect((await vmRow(vm.id)).state).toBe("stopping");
      await new Promise((r) => setTimeout(r, 400));
      workers = testWorkers(h, "survivor-2");
      job = await waitForJob(h.db, stopJob);
      expect([job.status, job.lockedBy, job.attempts, job.steps]).toEqual(["succeeded", "survivor-2", 2, ["stop"]]);
      vm = await vmRow(vm.id);
      expect([vm.state, vm.capacityReserved]).toEqual(["stopped", false]);
      expect(await hostUse(vm.hostId!)).toEqual([0, 0]);

      expect((await waitForJob(h.db, (await tenant.instance.destroy({ id: vm.id })).jobId)).status).toBe("succeeded");
      await workers.stop();
      expect(await used("instances")).toBe(0);
      expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE", "VM.START", "VM.STOP", "VM.DESTROY"]);
      expect(await capacityViolations(h.db)).toEqual([]);
    });
  }

  it("a job whose workers keep dying is failed cleanly once its attempts are used up, not resumed for ever", async () => {
    const tenant = api(h.db, t.callers.tenant);
    const before = {
      instances: await used("instances"),
      reserved: (await h.db.select().from(hosts)).reduce((s, x) => s + Number(x.memoryUsedMib), 0),
    };
    const [d] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "poison" });
    const { maxAttempts } = await jobRow(d!.jobId);
    // maxAttempts claims, each by a worker that dies at once (its lease runs out).
    for (let i = 1; i <= maxAttempts; i++) {
      expect((await claimJob(h.db, `dying-${i}`, 1))?.id).toBe(d!.jobId);
      await new Promise((r) => setTimeout(r, 20));
    }
    const workers = testWorkers(h, "last-worker");
    const job = await waitForJob(h.db, d!.jobId);
    await workers.stop();
    expect(job.status).toBe("failed");
    expect(job.lockedBy).toBe("last-worker");
    expect(job.attempts).toBe(maxAttempts + 1);
    expect(job.error).toMatch(/^Interrupted \d+ times/);
    const vm = await vmRow(d!.id);
    expect([vm.state, vm.capacityReserved]).toEqual(["error", false]);
    // Capacity back; the limit still counted until the Error VM is destroyed or expunged.
    expect((await h.db.select().from(hosts)).reduce((s, x) => s + Number(x.memoryUsedMib), 0)).toBe(before.reserved);
    expect(await used("instances")).toBe(before.instances + 1);
    expect(await usageSequence(h.db, vm.id)).toEqual(["VM.CREATE"]);
    expect(await capacityViolations(h.db)).toEqual([]);
  });
});
