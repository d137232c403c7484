import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "@/db";
import { computeOfferings, hosts, instances, networks, nics, templates } from "@/db/schema";
import { vmStates, type VmState } from "@/lib/vm-state";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { hostRefOf, loadHostRef } from "@/server/orchestrator/drivers/host-ref";
import { loadVolumeRef } from "@/server/orchestrator/volume-ref";
import { templatePathInZone } from "@/server/orchestrator/template-path";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { dropVmSnapshotsOf, heldVmSnapshots, hypervisorSnapshotName } from "@/server/core/vm-snapshots";
import type { HostRef, VmSpec } from "@/server/orchestrator/drivers/types";
import { releaseFromHost } from "@/server/orchestrator/planner/planner";
import { releaseFromPool } from "@/server/orchestrator/planner/storage";
import { recordVmEvent } from "@/server/core/events";
import { release } from "@/server/core/limits";
import { billedAsRunning, recordUsage, type UsageType } from "@/server/core/usage";
import { transitionVm } from "@/server/core/vm-transition";
import {
  attachedDataVolumes,
  deployDataVolumes,
  destroyRootVolume,
  expungeVmVolumes,
  rootVolumeOf,
  settleDeployVolumes,
} from "@/server/core/volumes";
import { implementNetworksFor, networkDriverOf } from "@/server/orchestrator/network/realise";
import { networkKey } from "@/server/orchestrator/network/build-spec";
import { applySecurityGroupsFor } from "@/server/orchestrator/network/security-groups";
import type { Job } from "../queue";
import { defineJob, type JobContext, type JobDefinition } from "../registry";
import { dropRulesOfNics } from "@/server/core/network-rules";

/** Inputs of the VM jobs; `from` is the state the request found the VM in. */
const noInput = z.object({});
const stopInput = z.object({ force: z.boolean().default(false), from: z.enum(vmStates).optional() });
const fromInput = z.object({ from: z.enum(vmStates) });
/** expunge: expunge right after (CloudStack's destroyVirtualMachine expunge=true), in the same job. */
const destroyInput = fromInput.extend({ expunge: z.boolean().default(false) });

declare global {
  interface StratusJobInputs {
    "vm.deploy": typeof noInput;
    "vm.start": typeof noInput;
    "vm.stop": typeof stopInput;
    "vm.reboot": typeof noInput;
    "vm.destroy": typeof destroyInput;
    "vm.expunge": typeof fromInput;
  }
}

type Instance = typeof instances.$inferSelect;

/** The hypervisor-side name: Stratus-generated, never a user's string. */

async function loadVm(db: Db | Tx, id: string) {
  const [vm] = await db.select().from(instances).where(eq(instances.id, id));
  if (!vm) throw new Error(`Instance ${id} no longer exists`);
  return vm;
}

/**
 * The VM row, locked: the first lock of every final or failure transaction, so they follow the
 * global order (instance, then host, then storage pool, then counters, then the job row).
 */
async function lockVm(tx: Tx, id: string) {
  const [vm] = await tx.select().from(instances).where(eq(instances.id, id)).for("no key update");
  if (!vm) throw new Error(`Instance ${id} no longer exists`);
  return vm;
}

const hostRef = loadHostRef;

/** The VM, its host and its spec in one query (the hot path of every deploy). */
async function loadWithHost(db: Db, id: string) {
  const [row] = await db
    .select({ vm: instances, host: hosts, template: templates, cpuCap: computeOfferings.cpuCap })
    .from(instances)
    .innerJoin(templates, eq(templates.id, instances.templateId))
    .innerJoin(computeOfferings, eq(computeOfferings.id, instances.computeOfferingId))
    .leftJoin(hosts, eq(hosts.id, instances.hostId))
    .where(eq(instances.id, id));
  if (!row) throw new Error(`Instance ${id} no longer exists`);
  const h = row.host;
  const host: HostRef | null = h ? hostRefOf(h) : null;
  const spec = specOf(row.vm, { ...row.template, path: await templatePathInZone(db, row.template, row.vm.zoneId) });
  spec.cpuCapPercent = h && row.cpuCap ? cpuCapPercent(row.vm.cpuMhz, h.cpuMhz) : undefined;
  // The ROOT volume row says where the root disk lives and how large it is; data volumes are
  // defined with the domain.
  const root = await rootVolumeOf(db, id);
  const rootRef = root ? await loadVolumeRef(db, root) : null;
  if (root && rootRef?.pool.type === "local_dir")
    spec.storage = { poolId: rootRef.pool.id, primaryPath: rootRef.pool.path, rootDiskGib: root.sizeGib };
  spec.volumes = [];
  for (const d of await attachedDataVolumes(db, id)) {
    const ref = await loadVolumeRef(db, d);
    if (ref && d.deviceTarget) spec.volumes.push({ vol: ref, target: d.deviceTarget });
  }
  // The ISO in its CD-ROM (and boot order) is part of every definition, since each start defines anew.
  if (row.vm.isoId) {
    const [iso] = await db
      .select({ id: templates.id, path: templates.path, zoneId: templates.zoneId })
      .from(templates)
      .where(eq(templates.id, row.vm.isoId));
    if (iso) spec.iso = { iso: { id: iso.id, path: await templatePathInZone(db, iso, row.vm.zoneId) }, boot: row.vm.bootFromIso };
  }
  // NICs on Stratus networks, when the host's driver realises networks (else its default NIC).
  if (host && networkDriverOf(host)) {
    const rows = await db
      .select({ nic: nics, number: networks.number })
      .from(nics)
      .innerJoin(networks, eq(networks.id, nics.networkId))
      .where(eq(nics.instanceId, id))
      .orderBy(nics.deviceId);
    if (rows.length > 0)
      spec.nics = rows.map(({ nic, number }) => ({
        networkId: nic.networkId,
        networkKey: networkKey({ number }),
        mac: nic.mac,
        ip: nic.ip,
        deviceId: nic.deviceId,
      }));
  }
  return { vm: row.vm, host, spec, root, rootRef };
}

/** A capped vCPU's share of one host core, in percent; undefined when the offering is not slower than the host. */
export function cpuCapPercent(offeringMhz: number, hostMhz: number): number | undefined {
  if (!(hostMhz > 0) || offeringMhz >= hostMhz) return undefined;
  return (100 * offeringMhz) / hostMhz;
}

function specOf(vm: Instance, t: typeof templates.$inferSelect): VmSpec {
  return {
    name: vmInternalName(vm),
    displayName: vm.name,
    cpuCores: vm.cpuCores,
    cpuMhz: vm.cpuMhz,
    memoryMib: vm.memoryMib,
    template: { id: t.id, path: t.path, format: t.format, sizeGib: t.sizeGib },
  };
}

const usage = (tx: Tx, job: Job, type: UsageType, vm: Instance) => recordUsage(tx, type, vm, { key: `${job.id}:${type}` });

async function releaseCapacity(tx: Tx, vm: Instance) {
  if (vm.capacityReserved && vm.hostId) await releaseFromHost(tx, vm.hostId, vm);
}

const deltas = (vm: Instance) => ({ instances: 1, vcpus: vm.cpuCores, memory_mib: vm.memoryMib });

function requireHost(h: HostRef | null, vm: Instance): HostRef {
  if (!h) throw new Error(`Instance ${vm.name} has no host`);
  return h;
}

/** Defines and starts the VM on its reserved host, then marks it Running (deploy and start). */
async function bringUp(ctx: JobContext) {
  const { vm, host: maybeHost, spec, root, rootRef } = await loadWithHost(ctx.db, ctx.job.resourceId);
  const host = requireHost(maybeHost, vm);
  const driver = driverFor(host);
  if (vm.lastHostId && vm.lastHostId !== vm.hostId) {
    const old = await hostRef(ctx.db, vm.lastHostId);
    if (old)
      await ctx.step("leave-old-host", () =>
        driverFor(old)
          .destroy(old, spec.name)
          .catch(() => undefined),
      );
  }
  // A deploy's disks: the root disk from the template on its pool (a zone without pools has none
  // to make), and the data disk asked for with the deploy, defined with the domain.
  if (root?.state === "creating") {
    if (rootRef)
      await ctx.step("root-volume", () => driver.createVolume(host, rootRef, { sizeGib: root.sizeGib, template: spec.template }), {
        progress: 15,
        message: `Creating the root disk on ${rootRef.pool.path}`,
      });
    for (const d of await deployDataVolumes(ctx.db, vm.id)) {
      const ref = await loadVolumeRef(ctx.db, d);
      if (!ref || !d.deviceTarget) continue;
      await ctx.step(`data-volume-${d.id}`, () => driver.createVolume(host, ref, { sizeGib: d.sizeGib }));
      spec.volumes = [...(spec.volumes ?? []), { vol: ref, target: d.deviceTarget }];
    }
  }
  // Its networks first: router (with this VM's lease) and the bridge on this host.
  const networkIds = [...new Set((spec.nics ?? []).map((n) => n.networkId))];
  if (networkIds.length > 0)
    await ctx.step("networks", () => implementNetworksFor(ctx.db, networkIds, host), { progress: 18, message: "Networks ready" });
  // Its security groups (NICs on shared networks) before it starts, so no packet passes unfiltered.
  // Each step's mark carries the progress of the next one (one statement per step, not two).
  await ctx.step("security-groups", () => applySecurityGroupsFor(ctx.db, [vm.id], host), {
    progress: 20,
    message: `Defining the VM on ${host.name}`,
  });
  await ctx.step("define", () => driver.create(host, spec), { progress: 60, message: `Starting the VM on ${host.name}` });
  await ctx.step("start", () => driver.start(host, spec), { progress: 90, message: "Recording the new state" });
  await ctx.finish(async (tx) => {
    await lockVm(tx, vm.id);
    // Guarded by the state: if anything moved the VM meanwhile, leave it to the reconciler.
    const running = await transitionVm(tx, vm.id, { from: "starting", to: "running", set: { lastHostId: host.id } });
    if (!running) return { state: "changed meanwhile" };
    await settleDeployVolumes(tx, vm.id, true);
    await usage(tx, ctx.job, "VM.START", running);
    await recordVmEvent(tx, running, "VM.RUNNING", `${vm.name} is running on ${host.name}`);
    return { state: "running", hostId: host.id };
  });
}

/** A failed deploy leaves the VM in Error; a failed start of an existing VM puts it back to Stopped. */
function bringUpFailure(to: "error" | "stopped"): JobDefinition["onFailure"] {
  return async (tx, job, err) => {
    const vm = await lockVm(tx, job.resourceId);
    const moved = await transitionVm(tx, vm.id, { from: "starting", to, set: { capacityReserved: false } });
    await settleDeployVolumes(tx, vm.id, false);
    if (moved) await releaseCapacity(tx, vm);
    await recordVmEvent(tx, vm, "VM.START.FAILED", `${vm.name} failed to start: ${err.message}`, { level: "error" });
  };
}

const deploy = defineJob({
  type: "vm.deploy",
  input: noInput,
  run: bringUp,
  onFailure: bringUpFailure("error"),
});

const start = defineJob({
  type: "vm.start",
  input: noInput,
  run: bringUp,
  onFailure: bringUpFailure("stopped"),
});

const stop = defineJob({
  type: "vm.stop",
  input: stopInput,
  async run(ctx) {
    const vm = await loadVm(ctx.db, ctx.job.resourceId);
    const force = ctx.input.force;
    const host = await hostRef(ctx.db, vm.hostId);
    if (host) {
      await ctx.progress(30, force ? "Forcing the VM off" : "Asking the guest to shut down");
      await ctx.step("stop", () => driverFor(host).stop(host, vmInternalName(vm), { force, timeoutMs: orchestratorConfig.stopTimeoutMs }));
    }
    await ctx.finish(async (tx) => {
      const current = await lockVm(tx, vm.id);
      const release = orchestratorConfig.releaseCapacityOnStop;
      // The states a stop leaves a VM in until it is off (vm.stop runs from Stopping, Unknown or Error).
      const stopped = await transitionVm(tx, vm.id, {
        from: ["stopping", "unknown", "error"],
        to: "stopped",
        set: release ? { capacityReserved: false } : {},
      });
      if (!stopped) return { state: current.state };
      if (release) await releaseCapacity(tx, current);
      // From Unknown the host's going Down may already have ended the billed period.
      if (current.state === "stopping" || (current.state === "unknown" && (await billedAsRunning(tx, vm.id))))
        await usage(tx, ctx.job, "VM.STOP", stopped);
      await recordVmEvent(tx, stopped, "VM.STOPPED", `${vm.name} is stopped`);
      return { state: "stopped" };
    });
  },
  async onFailure(tx, job, err) {
    const vm = await lockVm(tx, job.resourceId);
    // The stop did not happen: the VM is still running (the reconciler corrects it if not).
    await transitionVm(tx, vm.id, { from: "stopping", to: "running" });
    await recordVmEvent(tx, vm, "VM.STOP.FAILED", `${vm.name} could not be stopped: ${err.message}`, { level: "error" });
  },
});

const reboot = defineJob({
  type: "vm.reboot",
  input: noInput,
  async run(ctx) {
    const vm = await loadVm(ctx.db, ctx.job.resourceId);
    const host = requireHost(await hostRef(ctx.db, vm.hostId), vm);
    await ctx.progress(40, "Rebooting");
    await ctx.step("reboot", () => driverFor(host).reboot(host, vmInternalName(vm)));
    await ctx.finish(async (tx) => {
      await recordVmEvent(tx, vm, "VM.REBOOTED", `${vm.name} rebooted`);
      return { state: "running" };
    });
  },
  async onFailure(tx, job, err) {
    const vm = await loadVm(tx, job.resourceId);
    await recordVmEvent(tx, vm, "VM.REBOOT.FAILED", `${vm.name} could not be rebooted: ${err.message}`, { level: "error" });
  },
});

/** The Destroyed transition of the destroy job: limits and capacity given back, usage and event recorded. */
async function destroyInTx(tx: Tx, job: Job, vm: Instance) {
  const current = await lockVm(tx, vm.id);
  if (current.state === "destroyed") return { state: current.state };
  // A running VM was moved to Stopping by the request and is off now: Stopped on the way.
  if (current.state === "stopping") await transitionVm(tx, vm.id, { from: "stopping", to: "stopped" });
  const expungeAfter = new Date(Date.now() + orchestratorConfig.expungeDelaySeconds * 1000);
  const destroyed = await transitionVm(tx, vm.id, {
    from: ["allocated", "stopped", "error", "unknown"],
    to: "destroyed",
    set: { capacityReserved: false, destroyedAt: new Date(), expungeAfter },
  });
  if (!destroyed) return { state: current.state };
  const rootDisk = await destroyRootVolume(tx, vm.id, expungeAfter, job.id);
  await releaseCapacity(tx, current);
  // Counters last and in one call, so their rows are locked in one id order (the lock order:
  // instance, volumes, host, pool, counters). An Error VM left by a failed expunge was destroyed
  // before: its limits were given back then.
  await release(tx, current.accountId, { ...rootDisk, ...(current.destroyedAt === null ? deltas(current) : {}) });
  if (current.state === "stopping" || (current.state === "unknown" && (await billedAsRunning(tx, vm.id))))
    await usage(tx, job, "VM.STOP", destroyed);
  await usage(tx, job, "VM.DESTROY", destroyed);
  await recordVmEvent(tx, destroyed, "VM.DESTROYED", `${vm.name} is destroyed; recoverable until ${expungeAfter.toISOString()}`);
  return { state: "destroyed", expungeAfter };
}

/**
 * Destroy: stop if needed, then Destroyed; limits and capacity are given back, usage recorded.
 * With `expunge`, Destroyed and then Expunging in one step, and the expunge follows in this job.
 */
const destroy = defineJob({
  type: "vm.destroy",
  input: destroyInput,
  async run(ctx) {
    const vm = await loadVm(ctx.db, ctx.job.resourceId);
    const host = await hostRef(ctx.db, vm.hostId);
    if (host && (vm.state === "stopping" || vm.state === "unknown" || vm.state === "error")) {
      await ctx.progress(30, "Stopping the VM");
      await ctx.step("stop", () => driverFor(host).stop(host, vmInternalName(vm), { force: true }));
    }
    if (!ctx.input.expunge) return ctx.finish((tx) => destroyInTx(tx, ctx.job, vm));
    await ctx.step("destroyed", () =>
      ctx.db.transaction(async (tx) => {
        await destroyInTx(tx, ctx.job, vm);
        const expunging = await transitionVm(tx, vm.id, { from: "destroyed", to: "expunging" });
        if (!expunging) throw new Error(`${vm.name} could not be destroyed before its expunge`);
        await recordVmEvent(tx, expunging, "VM.EXPUNGE", `Expunging ${vm.name}`);
      }),
    );
    await runExpunge(ctx, await loadVm(ctx.db, vm.id), "destroyed");
  },
  async onFailure(tx, job, err) {
    const vm = await lockVm(tx, job.resourceId);
    if (vm.state === "expunging") return expungeFailed(tx, vm, err);
    await transitionVm(tx, vm.id, { from: "stopping", to: "running" });
    await recordVmEvent(tx, vm, "VM.DESTROY.FAILED", `${vm.name} could not be destroyed: ${err.message}`, { level: "error" });
  },
});

/** Expunge: remove the VM and its disks from the hypervisor, then Expunged for good (`from`: the state it was expunged from). */
async function runExpunge(ctx: JobContext<unknown>, vm: Instance, from: VmState) {
  const current = await hostRef(ctx.db, vm.hostId ?? vm.lastHostId);
  // Its VM snapshots go first: they live inside its disks, data volumes included, which outlive it.
  const vmSnapshotDriver = current ? driverFor(current).vmSnapshots : undefined;
  if (current && vmSnapshotDriver)
    for (const s of await heldVmSnapshots(ctx.db, vm.id))
      await ctx.step(`delete-vm-snapshot-${s.id}`, () =>
        vmSnapshotDriver.deleteVmSnapshot(current, vmInternalName(vm), hypervisorSnapshotName(s.id)),
      );
  // Data volumes outlive the VM: unplugged from its definition before it goes.
  if (current) {
    for (const d of await attachedDataVolumes(ctx.db, vm.id)) {
      const ref = await loadVolumeRef(ctx.db, d);
      if (ref && d.deviceTarget)
        await ctx.step(`detach-${d.id}`, () => driverFor(current).detachVolume(current, vmInternalName(vm), ref, d.deviceTarget!));
    }
  }
  for (const hostId of new Set([vm.hostId, vm.lastHostId].filter((x): x is string => !!x))) {
    const host = await hostRef(ctx.db, hostId);
    if (host) await ctx.step(`remove-from-${hostId}`, () => driverFor(host).destroy(host, vmInternalName(vm)));
  }
  const root = await rootVolumeOf(ctx.db, vm.id);
  const rootRef = root ? await loadVolumeRef(ctx.db, root) : null;
  if (current && rootRef) await ctx.step("delete-root-volume", () => driverFor(current).deleteVolume(current, rootRef));
  await ctx.progress(80, "Removed from the hypervisor");
  await ctx.finish(async (tx) => {
    const current = await lockVm(tx, vm.id);
    const expunged = await transitionVm(tx, vm.id, {
      from: "expunging",
      to: "expunged",
      set: { hostId: null, capacityReserved: false },
    });
    if (!expunged) return { state: current.state };
    // Its root disk is expunged and its data volumes detached (the lock order: instance, volumes, host, pool, counters).
    const rootDisk = await expungeVmVolumes(tx, current, ctx.job.id);
    await dropVmSnapshotsOf(tx, current.id, ctx.job.id);
    // Its NICs go: their addresses are free again (the reconciler drops their leases from the routers).
    // Rules aimed at them go first (static NAT, port forwards, LB membership), with their usage facts.
    const vmNics = await tx.select({ id: nics.id }).from(nics).where(eq(nics.instanceId, vm.id));
    await dropRulesOfNics(
      tx,
      vmNics.map((x) => x.id),
      null,
      ctx.job.id,
    );
    await tx.delete(nics).where(eq(nics.instanceId, vm.id));
    // An Error VM was never destroyed: any capacity it holds is given back now.
    if (from === "error") await releaseCapacity(tx, current);
    if (rootDisk.pool) await releaseFromPool(tx, rootDisk.pool.poolId, rootDisk.pool.gib);
    // A VM never destroyed (an Error VM) still counts against its limits; one destroyed before
    // (an Error VM left by a failed expunge) gave them back then. One call: one lock order.
    await release(tx, current.accountId, { ...rootDisk.release, ...(current.destroyedAt === null ? deltas(current) : {}) });
    await usage(tx, ctx.job, "VM.EXPUNGE", expunged);
    await recordVmEvent(tx, expunged, "VM.EXPUNGED", `${vm.name} is expunged`);
    return { state: "expunged" };
  });
}

async function expungeFailed(tx: Tx, vm: Instance, err: Error) {
  await transitionVm(tx, vm.id, { from: "expunging", to: "error" });
  await recordVmEvent(tx, vm, "VM.EXPUNGE.FAILED", `${vm.name} could not be expunged: ${err.message}`, { level: "error" });
}

const expunge = defineJob({
  type: "vm.expunge",
  input: fromInput,
  async run(ctx) {
    await runExpunge(ctx, await loadVm(ctx.db, ctx.job.resourceId), ctx.input.from);
  },
  async onFailure(tx, job, err) {
    await expungeFailed(tx, await lockVm(tx, job.resourceId), err);
  },
});

/** The VM jobs (registered by registerOrchestrator). */
export const vmJobs: readonly JobDefinition[] = [deploy, start, stop, reboot, destroy, expunge];
