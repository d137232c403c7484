import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Db, Tx } from "@/db";
import { computeOfferings, hosts, instances, jobs, storagePools, templates, volumes } from "@/db/schema";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import type { DeployInstanceInput } from "@/lib/validation/instances";
import { enqueueJob, type JobTarget, recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { insufficient, planAndReserve, rankHosts, releaseFromHost, reserveAmong } from "@/server/orchestrator/planner/planner";
import { operationAllowed, type VmOperation, type VmState } from "@/lib/vm-state";
import { placeVolume, poolServesHost } from "@/server/orchestrator/planner/storage";
import { recordUsage } from "@/server/core/usage";
import { conflict, isUniqueViolation, ServiceError } from "@/server/core/errors";
import { adjust, consume } from "@/server/core/limits";
import { refuseWhileVmSnapshots } from "@/server/core/vm-snapshots";
import { retryOnDeadlock } from "@/server/core/retry";
import { transitionVm, type VmTransition } from "@/server/core/vm-transition";
import { insertDeployDataVolume, insertRootVolume, recoverRootVolume, rootDiskSize } from "@/server/core/volumes";
import { usableComputeOffering } from "@/server/services/offerings/compute";
import { usableDiskOffering } from "@/server/services/offerings/disk";
import { sizeFromOffering } from "@/server/services/volumes/access";
import { enabledZone, getInstanceInScope, type Instance, ownerOf, usableTemplate } from "./access";
import { recordVmEvent } from "@/server/core/events";
import { ensureDefaultNetwork, usableNetwork } from "@/server/services/networks/operations";
import { allocateNic } from "@/server/services/networks/ipam";
import { refuseIfLowBalance } from "@/server/billing/low-balance";

const vmDeltas = (vm: { cpuCores: number; memoryMib: number }) => ({ instances: 1, vcpus: vm.cpuCores, memory_mib: vm.memoryMib });
/** A caller acting through the API, or (null) the system on behalf of `actorUserId` (scheduler, an account's cleanup). */
const actorOf = (caller: Caller | null, actorUserId: string | null = null) => caller?.userId ?? actorUserId;
/** What a VM's job acts on and for whom; the job's type and input are added where it is queued. */
const jobFor = (vm: Instance, caller: Caller | string | null): JobTarget => ({
  resourceType: "instance",
  resourceId: vm.id,
  accountId: vm.accountId,
  domainPath: vm.domainPath,
  userId: typeof caller === "string" || caller === null ? caller : caller.userId,
});

const changedMeanwhile = (vm: Instance) => conflict(`Instance ${vm.name} changed state meanwhile; reload and try again`);

/** Moves a VM on from the state it was read in, or a conflict when something moved it meanwhile. */
async function moveState(tx: Tx, vm: Instance, to: VmState, set: VmTransition["set"] = {}): Promise<Instance> {
  const row = await transitionVm(tx, vm.id, { from: vm.state, to, set });
  if (!row) throw changedMeanwhile(vm);
  return row;
}

/**
 * Row locks are taken in one global order by every transaction that changes VMs — the instance
 * row first, then host rows, then storage pools, then limit counters, then job rows — so two
 * mutations may wait on each other but never in a cycle (docs/architecture.md, "Lock order").
 * This takes the first of them: the VM's row, still in the state the caller read, or a conflict.
 */
export async function lockInState(tx: Tx, vm: Instance): Promise<Instance> {
  const [row] = await tx
    .select()
    .from(instances)
    .where(and(eq(instances.id, vm.id), eq(instances.state, vm.state)))
    .for("no key update");
  if (!row) throw changedMeanwhile(vm);
  return row;
}

/** A mutation's transaction, run again if PostgreSQL chose it as a deadlock or serialization victim. */
const mutate = <T>(db: Db, fn: (tx: Tx) => Promise<T>) => retryOnDeadlock(() => db.transaction(fn));

function requireOperation(vm: Instance, op: VmOperation) {
  if (!operationAllowed(op, vm.state)) {
    const label = op === "changeOffering" ? "change the offering of" : op;
    throw new ServiceError("CONFLICT", `Cannot ${label} instance ${vm.name} while it is ${vm.state}`);
  }
}

/**
 * Deploys `count` VMs in one transaction: limits consumed, a host reserved for each by the
 * planner, the instance rows (Starting), their events, usage and vm.deploy jobs. Any refusal
 * (limit, capacity, name clash) rolls everything back: nothing half-made.
 */
export async function deployInstances(db: Db, caller: Caller, input: DeployInstanceInput) {
  const owner = await ownerOf(db, caller.accountId);
  await refuseIfLowBalance(db, owner.id, "New deployments");
  const zone = await enabledZone(db, input.zoneId);
  const offering = await usableComputeOffering(db, input.computeOfferingId, owner.domainPath);
  const template = await usableTemplate(db, owner, input.templateId, zone.id);
  const rootGib = rootDiskSize(template, input.rootDiskGib);
  const dataOffering = input.dataDisk ? await usableDiskOffering(db, input.dataDisk.diskOfferingId, owner.domainPath) : null;
  const dataGib = dataOffering ? sizeFromOffering(dataOffering, input.dataDisk?.sizeGib, "dataDisk.sizeGib") : 0;
  const names = input.count === 1 ? [input.name] : Array.from({ length: input.count }, (_, i) => `${input.name}-${i + 1}`);
  // Networks asked for (checked here; addresses are taken in the transaction), else the account's default one.
  const wanted = input.networks ?? [];
  for (const [i, w] of wanted.entries()) await usableNetwork(db, owner.id, zone.id, w.networkId, `networks.${i}.networkId`);
  if (input.count > 1 && wanted.some((w) => w.ip))
    throw new ServiceError("BAD_REQUEST", "A fixed address can only be asked for when deploying one VM", "networks.0.ip");
  const request = {
    zoneId: zone.id,
    accountId: owner.id,
    cpuCores: offering.cpuCores,
    cpuMhz: offering.cpuMhz,
    memoryMib: offering.memoryMib,
    hostTags: offering.hostTags,
    hypervisorType: template.hypervisorType,
  };
  try {
    return await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        // Order matters for throughput: unlocked reads and inserts first; the row locks of the host
        // reservation and of the limit counters (shared by every deploy of the account and domain)
        // are taken last, so they are held only for the last few statements and the commit.
        const ranked = await rankHosts(tx, request);
        if (ranked.length === 0) throw await insufficient(tx, request);
        const out: { id: string; name: string; jobId: string; hostId: string | null; rootVolumeId: string; dataVolumeId?: string }[] = [];
        const defaultNetwork = wanted.length === 0 ? await ensureDefaultNetwork(tx, owner, zone.id, caller.userId) : null;
        const nicPlan = defaultNetwork ? [{ networkId: defaultNetwork.network.id, ip: undefined }] : wanted;
        for (const name of names) {
          const [vm] = await tx
            .insert(instances)
            .values({
              name,
              accountId: owner.id,
              domainId: owner.domainId,
              domainPath: owner.domainPath,
              zoneId: zone.id,
              hostId: ranked[0]!.id,
              lastHostId: ranked[0]!.id,
              computeOfferingId: offering.id,
              templateId: template.id,
              state: "starting",
              cpuCores: offering.cpuCores,
              cpuMhz: offering.cpuMhz,
              memoryMib: offering.memoryMib,
              capacityReserved: true,
            })
            .returning();
          await recordVmEvent(tx, vm!, "VM.CREATE", `Deploying ${name} (${offering.name}, ${template.name})`, { actor: caller });
          await recordUsage(tx, "VM.CREATE", vm!);
          // NICs (IPAM) right after the VM row: the network rows' locks come before hosts, pools and counters.
          for (const [deviceId, w] of nicPlan.entries())
            await allocateNic(tx, w.networkId, vm!.id, {
              deviceId,
              ip: w.ip,
              field: `networks.${deviceId}.ip`,
              securityGroupIds: "securityGroupIds" in w ? w.securityGroupIds : undefined,
            });
          const root = await insertRootVolume(tx, vm!, rootGib);
          const data = dataOffering ? await insertDeployDataVolume(tx, vm!, { diskOfferingId: dataOffering.id, sizeGib: dataGib }) : null;
          const job = await enqueueJob(tx, { ...jobFor(vm!, caller), type: "vm.deploy" });
          out.push({ id: vm!.id, name, jobId: job.id, hostId: vm!.hostId, rootVolumeId: root.id, dataVolumeId: data?.id });
        }
        // Hosts for every VM first, then their root disks' pools, then the counters: the global lock
        // order (a multi-VM deploy taking host, pool, host, pool… could deadlock with another).
        for (const vm of out) {
          const host = await reserveAmong(tx, request, ranked);
          vm.hostId = host.hostId;
        }
        for (const vm of out) {
          await tx.update(instances).set({ hostId: vm.hostId, lastHostId: vm.hostId }).where(eq(instances.id, vm.id));
        }
        // Root volumes were inserted above (volume rows precede pools in the lock order); now their pools.
        for (const vm of out) {
          const poolId = await placeVolume(tx, { hostId: vm.hostId!, gib: rootGib, storageTags: [], what: "this VM: its root disk" });
          if (poolId) await tx.update(volumes).set({ storagePoolId: poolId }).where(eq(volumes.id, vm.rootVolumeId));
          if (vm.dataVolumeId) {
            const dataPool = await placeVolume(tx, {
              hostId: vm.hostId!,
              gib: dataGib,
              storageTags: dataOffering!.storageTags,
              what: "this VM: its data disk",
            });
            if (!dataPool)
              throw new ServiceError("PRECONDITION_FAILED", "No primary storage serves this zone's hosts for a data disk", "dataDisk");
            await tx.update(volumes).set({ storagePoolId: dataPool }).where(eq(volumes.id, vm.dataVolumeId));
          }
        }
        // The root disks count against `volumes` and `primary_storage_gib` here, and only here.
        await consume(
          tx,
          owner.id,
          {
            instances: names.length,
            vcpus: offering.cpuCores * names.length,
            memory_mib: offering.memoryMib * names.length,
            volumes: names.length * (dataOffering ? 2 : 1),
            primary_storage_gib: names.length * (rootGib + dataGib),
            networks: defaultNetwork?.created ? 1 : 0,
          },
          { accountName: owner.name, domainPath: owner.domainPath },
        );
        return out.map(({ id, name, jobId }) => ({ id, name, jobId }));
      }),
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`An instance named "${input.name}" already exists in your account`, "name");
    throw e;
  }
}

/** Start a stopped VM: reserve capacity again (its last host first) and queue vm.start. */
export async function startInstance(db: Db, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  requireOperation(vm, "start");
  if (!isRootAdmin(caller)) await refuseIfLowBalance(db, vm.accountId, "Starting VMs");
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    // A volume being reverted to a snapshot is being rewritten: the VM waits (the revert holds this row's lock to check it is stopped).
    const [reverting] = await tx
      .select({ name: volumes.name })
      .from(volumes)
      .where(and(eq(volumes.instanceId, vm.id), eq(volumes.state, "reverting")));
    if (reverting) throw conflict(`Volume ${reverting.name} of ${vm.name} is being reverted to a snapshot; start it when that is done`);
    // A volume being copied into a template must not change under the copy (the request checked the VM was stopped).
    const [copying] = await tx
      .select({ name: volumes.name })
      .from(volumes)
      .innerJoin(
        jobs,
        and(eq(jobs.resourceId, volumes.id), eq(jobs.type, "template.create-from"), inArray(jobs.status, ["queued", "running"])),
      )
      .where(eq(volumes.instanceId, vm.id))
      .limit(1);
    if (copying) throw conflict(`Volume ${copying.name} of ${vm.name} is being copied into a template; start it when that is done`);
    let hostId = locked.hostId;
    if (!locked.capacityReserved) {
      const host = await planAndReserve(tx, {
        zoneId: vm.zoneId,
        accountId: vm.accountId,
        cpuCores: vm.cpuCores,
        cpuMhz: vm.cpuMhz,
        memoryMib: vm.memoryMib,
        hostTags: await offeringTags(tx, vm.computeOfferingId),
        hypervisorType: await templateHypervisor(tx, vm.templateId),
        preferredHostId: vm.lastHostId,
      });
      hostId = host.hostId;
      // VM snapshots stay with the domain on its last host: elsewhere they would be lost (the reservation rolls back).
      if (vm.lastHostId && hostId !== vm.lastHostId) await refuseWhileVmSnapshots(tx, "otherHost", locked);
    }
    await requireVolumesReachable(tx, vm, hostId!);
    const moved = await moveState(tx, locked, "starting", { hostId, capacityReserved: true });
    await recordVmEvent(tx, moved, "VM.START", `Starting ${vm.name}`, { actor: caller });
    return { jobId: (await enqueueJob(tx, { ...jobFor(moved, caller), type: "vm.start" })).id };
  });
}

/**
 * The host a VM starts on must reach the pools of its volumes (as attach and migrate check): when its
 * last host had no room the planner may pick one in another cluster, which cannot open a volume on
 * a cluster-scoped pool. Refused with what to do; the transaction gives the reservation back.
 */
async function requireVolumesReachable(tx: Tx, vm: Instance, hostId: string) {
  const attached = await tx
    .select({ name: volumes.name, poolId: volumes.storagePoolId, poolName: storagePools.name })
    .from(volumes)
    .innerJoin(storagePools, eq(storagePools.id, volumes.storagePoolId))
    .where(and(eq(volumes.instanceId, vm.id), ne(volumes.state, "expunged")))
    .orderBy(asc(volumes.type), asc(volumes.name));
  const unreachable: string[] = [];
  for (const v of attached) if (!(await poolServesHost(tx, v.poolId!, hostId))) unreachable.push(`volume ${v.name} on pool ${v.poolName}`);
  if (unreachable.length === 0) return;
  const [h] = await tx.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
  throw new ServiceError(
    "PRECONDITION_FAILED",
    `Cannot start ${vm.name} on host ${h?.name ?? hostId}${vm.lastHostId && vm.lastHostId !== hostId ? " (its last host has no room now)" : ""}: ` +
      `that host cannot reach ${unreachable.join(", ")}. Free room on a host that reaches them, or ask an administrator to migrate them`,
  );
}

async function templateHypervisor(tx: Tx, templateId: string) {
  const [t] = await tx.select({ h: templates.hypervisorType }).from(templates).where(eq(templates.id, templateId));
  return t?.h;
}

async function offeringTags(tx: Tx, offeringId: string): Promise<string[]> {
  const [o] = await tx.select({ hostTags: computeOfferings.hostTags }).from(computeOfferings).where(eq(computeOfferings.id, offeringId));
  return o?.hostTags ?? [];
}

/**
 * Stop a VM. Without a caller (the system: the low-balance policy) the VM row is given and
 * `reason` says why, in the event.
 */
export async function stopInstance(db: Db, caller: Caller | null, id: string, force: boolean, vmRow?: Instance, reason?: string) {
  const vm = vmRow ?? (await getInstanceInScope(db, caller!, id));
  requireOperation(vm, "stop");
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    const moved = locked.state === "running" ? await moveState(tx, locked, "stopping") : locked;
    await recordVmEvent(tx, moved, "VM.STOP", `${force ? "Force-stopping" : "Stopping"} ${vm.name}${reason ? `: ${reason}` : ""}`, {
      actor: caller,
    });
    return { jobId: (await enqueueJob(tx, { ...jobFor(moved, caller), type: "vm.stop", input: { force, from: vm.state } })).id };
  });
}

export async function rebootInstance(db: Db, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  requireOperation(vm, "reboot");
  return mutate(db, async (tx) => {
    await lockInState(tx, vm);
    await recordVmEvent(tx, vm, "VM.REBOOT", `Rebooting ${vm.name}`, { actor: caller });
    return { jobId: (await enqueueJob(tx, { ...jobFor(vm, caller), type: "vm.reboot" })).id };
  });
}

/**
 * Destroy: the VM stays recoverable for the expunge delay. A running VM is stopped by the job
 * first; limits and capacity are given back when it reaches Destroyed. Without a caller (the
 * system: an account's cleanup) the VM row is given and `actorUserId` is who asked for it.
 */
/**
 * Destroy a VM; with `expunge`, the same job expunges it right after (CloudStack's
 * destroyVirtualMachine expunge=true): whoever may expunge it (expungeInstance: any VM in scope)
 * may ask for that.
 */
export async function destroyInstance(
  db: Db,
  caller: Caller | null,
  id: string,
  vmRow?: Instance,
  actorUserId?: string | null,
  opts: { expunge?: boolean } = {},
) {
  const vm = vmRow ?? (await getInstanceInScope(db, caller!, id));
  requireOperation(vm, "destroy");
  const actor = actorOf(caller, actorUserId);
  return mutate(db, async (tx) => {
    // Locked in the state read: a second destroy of a VM that a first one already destroyed is a
    // conflict here, not a job that fails.
    const locked = await lockInState(tx, vm);
    const moved = locked.state === "running" ? await moveState(tx, locked, "stopping") : locked;
    await recordVmEvent(tx, moved, "VM.DESTROY", `Destroying ${vm.name}`, { actor });
    return {
      jobId: (
        await enqueueJob(tx, { ...jobFor(moved, actor), type: "vm.destroy", input: { from: vm.state, expunge: opts.expunge ?? false } })
      ).id,
    };
  });
}

/** Recover a destroyed VM to Stopped; its limits are counted again (and may refuse). */
export async function recoverInstance(db: Db, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  requireOperation(vm, "recover");
  return mutate(db, async (tx) => {
    const moved = await moveState(tx, vm, "stopped", { destroyedAt: null, expungeAfter: null });
    const rootDisk = await recoverRootVolume(tx, vm.id);
    await consume(tx, vm.accountId, { ...rootDisk, ...vmDeltas(vm) });
    await recordVmEvent(tx, moved, "VM.RECOVER", `Recovered ${vm.name}`, { actor: caller });
    await recordUsage(tx, "VM.CREATE", moved, { details: { recovered: true } });
    return { jobId: (await recordCompletedJob(tx, { ...jobFor(moved, caller), type: "vm.recover" })).id };
  });
}

export async function expungeInstance(db: Db, caller: Caller | null, id: string, vmRow?: Instance, actorUserId?: string | null) {
  const vm = vmRow ?? (await getInstanceInScope(db, caller!, id));
  requireOperation(vm, "expunge");
  const actor = actorOf(caller, actorUserId);
  return mutate(db, async (tx) => {
    const moved = await moveState(tx, vm, "expunging");
    await recordVmEvent(tx, moved, "VM.EXPUNGE", `Expunging ${vm.name}`, { actor });
    const job = await enqueueJob(tx, { ...jobFor(vm, actor), type: "vm.expunge", input: { from: vm.state } });
    return { jobId: job.id };
  });
}

/** Change the compute offering of a stopped VM: the difference is checked against limits. */
export async function changeOffering(db: Db, caller: Caller, input: { id: string; computeOfferingId: string }) {
  const vm = await getInstanceInScope(db, caller, input.id);
  requireOperation(vm, "changeOffering");
  const offering = await usableComputeOffering(db, input.computeOfferingId, vm.domainPath);
  if (offering.id === vm.computeOfferingId)
    throw new ServiceError("BAD_REQUEST", `${vm.name} already uses ${offering.name}`, "computeOfferingId");
  return mutate(db, async (tx) => {
    const locked = await lockInState(tx, vm);
    await refuseWhileVmSnapshots(tx, "offering", locked);
    const [updated] = await tx
      .update(instances)
      .set({
        computeOfferingId: offering.id,
        cpuCores: offering.cpuCores,
        cpuMhz: offering.cpuMhz,
        memoryMib: offering.memoryMib,
        capacityReserved: false,
      })
      .where(and(eq(instances.id, vm.id), eq(instances.state, "stopped")))
      .returning();
    if (!updated) throw changedMeanwhile(vm);
    if (locked.capacityReserved && locked.hostId) await releaseFromHost(tx, locked.hostId, locked);
    await recordVmEvent(tx, updated, "VM.UPGRADE", `Changed ${vm.name} to ${offering.name}`, { actor: caller });
    await recordUsage(tx, "VM.UPGRADE", updated, { details: { from: vm.computeOfferingId, to: offering.id } });
    // One signed counter call (more of one, less of another), after the instance and host (the lock order).
    await adjust(tx, vm.accountId, { vcpus: offering.cpuCores - vm.cpuCores, memory_mib: offering.memoryMib - vm.memoryMib });
    return {
      jobId: (
        await recordCompletedJob(tx, { ...jobFor(updated, caller), type: "vm.changeOffering", input: { computeOfferingId: offering.id } })
      ).id,
    };
  });
}

/** Bulk actions: each VM independently; the result says which ones were refused and why. */
export async function bulkAction(db: Db, caller: Caller, input: { ids: string[]; action: "start" | "stop" | "reboot" | "destroy" }) {
  const results: { id: string; ok: boolean; jobId?: string; error?: string }[] = [];
  for (const id of input.ids) {
    try {
      const r =
        input.action === "start"
          ? await startInstance(db, caller, id)
          : input.action === "stop"
            ? await stopInstance(db, caller, id, false)
            : input.action === "reboot"
              ? await rebootInstance(db, caller, id)
              : await destroyInstance(db, caller, id);
      results.push({ id, ok: true, jobId: r.jobId });
    } catch (e) {
      results.push({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}
