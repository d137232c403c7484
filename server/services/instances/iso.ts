/**
 * ISOs in a VM's CD-ROM: attach (optionally booting from it from the next start) and detach. The
 * request checks and queues a durable job; the job has the driver do it on the VM's host and then
 * records it on the instance row (`isoId`, `bootFromIso`), which the next start's definition uses.
 */
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db";
import { instances, templates } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { templateUsableBy } from "@/server/authz/scopes";
import type { AttachIsoInput } from "@/lib/validation/instances";
import { badRequest, conflict, notFound } from "@/server/core/errors";
import { recordVmEvent } from "@/server/core/events";
import { retryOnDeadlock } from "@/server/core/retry";
import { refuseWhileVmSnapshots } from "@/server/core/vm-snapshots";
import { rootVolumeOf } from "@/server/core/volumes";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import { loadHostRef } from "@/server/orchestrator/drivers/host-ref";
import { DriverError } from "@/server/orchestrator/drivers/types";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { loadVolumeRef } from "@/server/orchestrator/volume-ref";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { templatePathInZone } from "@/server/orchestrator/template-path";
import { templateInZone } from "@/server/services/template-copy";
import { getInstanceInScope, type Instance } from "./access";
import { lockInState } from "./operations";

const attachInput = z.object({ isoId: z.string().uuid(), bootFromIso: z.boolean() });
const detachInput = z.object({});

declare global {
  interface StratusJobInputs {
    "vm.attachIso": typeof attachInput;
    "vm.detachIso": typeof detachInput;
  }
}

/** ISOs the VM's account may use in the VM's zone (templateUsableBy, as for deploy; its own zone, every zone, or a Ready copy there). */
const isoUsableIn = (vm: Instance) =>
  and(eq(templates.format, "iso"), templateUsableBy({ accountId: vm.accountId, domainPath: vm.domainPath }), templateInZone(vm.zoneId));

async function usableIso(db: DbOrTx, vm: Instance, isoId: string) {
  const [iso] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, isoId), isoUsableIn(vm)));
  if (!iso) {
    const [elsewhere] = await db
      .select({ name: templates.name })
      .from(templates)
      .where(
        and(eq(templates.id, isoId), eq(templates.format, "iso"), templateUsableBy({ accountId: vm.accountId, domainPath: vm.domainPath })),
      );
    if (elsewhere) throw badRequest(`ISO ${elsewhere.name} is not available in the zone of ${vm.name}; copy it there first`, "isoId");
    throw notFound("ISO");
  }
  return iso;
}

/** The ISOs the dialog offers for this VM. */
export async function isoChoices(db: Db, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  const rows = await db
    .select({ id: templates.id, name: templates.name, displayText: templates.displayText, zoneId: templates.zoneId })
    .from(templates)
    .where(isoUsableIn(vm))
    .orderBy(templates.name);
  return rows.map(({ zoneId: _z, ...t }) => t);
}

function requireOnHost(vm: Instance, what: string) {
  if (vm.state !== "running" && vm.state !== "stopped")
    throw conflict(`ISOs can be ${what} a running or stopped instance; ${vm.name} is ${vm.state}`);
  if (!(vm.hostId ?? vm.lastHostId)) throw conflict(`Instance ${vm.name} has never run on a host; start it first`);
}

const jobTarget = (vm: Instance, caller: Caller) => ({
  resourceType: "instance",
  resourceId: vm.id,
  accountId: vm.accountId,
  domainPath: vm.domainPath,
  userId: caller.userId,
});

export async function attachIso(db: Db, caller: Caller, input: AttachIsoInput) {
  const vm = await getInstanceInScope(db, caller, input.id);
  const iso = await usableIso(db, vm, input.isoId);
  requireOnHost(vm, "attached to");
  const bootFromIso = input.bootFromIso ?? false;
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      await lockInState(tx, vm);
      await refuseWhileVmSnapshots(tx, "iso", vm);
      await recordVmEvent(tx, vm, "VM.ISO.ATTACH", `Attaching ISO ${iso.name} to ${vm.name}${bootFromIso ? " (boot from it)" : ""}`, {
        actor: caller,
        details: { isoId: iso.id, bootFromIso },
      });
      const job = await enqueueJob(tx, { ...jobTarget(vm, caller), type: "vm.attachIso", input: { isoId: iso.id, bootFromIso } });
      return { jobId: job.id };
    }),
  );
}

export async function detachIso(db: Db, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  if (!vm.isoId) throw conflict(`No ISO is attached to ${vm.name}`);
  requireOnHost(vm, "detached from");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      await lockInState(tx, vm);
      await refuseWhileVmSnapshots(tx, "iso", vm);
      await recordVmEvent(tx, vm, "VM.ISO.DETACH", `Detaching the ISO from ${vm.name}`, { actor: caller });
      const job = await enqueueJob(tx, { ...jobTarget(vm, caller), type: "vm.detachIso", input: {} });
      return { jobId: job.id };
    }),
  );
}

async function loadVm(db: DbOrTx, id: string) {
  const [vm] = await db.select().from(instances).where(eq(instances.id, id));
  if (!vm) throw new Error(`Instance ${id} no longer exists`);
  return vm;
}

/** The VM's host (where its domain is defined) for the driver, or a transient error while none is up. */
async function hostOf(db: DbOrTx, vm: Instance) {
  const host = await loadHostRef(db, vm.hostId ?? vm.lastHostId);
  if (!host) throw new DriverError(`The host of ${vm.name} is not available; the ISO change waits for it`, true);
  return host;
}

const attachJob = defineJob({
  type: "vm.attachIso",
  input: attachInput,
  async run(ctx) {
    const vm = await loadVm(ctx.db, ctx.job.resourceId);
    const [iso] = await ctx.db.select().from(templates).where(eq(templates.id, ctx.input.isoId));
    if (!iso) throw new DriverError("The ISO was deleted meanwhile");
    const host = await hostOf(ctx.db, vm);
    const root = await rootVolumeOf(ctx.db, vm.id);
    const pool = root ? ((await loadVolumeRef(ctx.db, root))?.pool ?? null) : null;
    const isoPath = await templatePathInZone(ctx.db, iso, vm.zoneId);
    await ctx.step("attach", () => driverFor(host).attachIso(host, vmInternalName(vm), pool, { id: iso.id, path: isoPath }), {
      progress: 80,
      message: "Recording the ISO",
    });
    await ctx.finish(async (tx) => {
      const [row] = await tx
        .update(instances)
        .set({ isoId: iso.id, bootFromIso: ctx.input.bootFromIso })
        .where(eq(instances.id, vm.id))
        .returning();
      await recordVmEvent(tx, row ?? vm, "VM.ISO.ATTACHED", `ISO ${iso.name} is in the CD-ROM of ${vm.name}`, {
        details: { isoId: iso.id, bootFromIso: ctx.input.bootFromIso },
      });
      return { isoId: iso.id, bootFromIso: ctx.input.bootFromIso };
    });
  },
  async onFailure(tx, job, err) {
    const vm = await loadVm(tx, job.resourceId);
    await recordVmEvent(tx, vm, "VM.ISO.ATTACH.FAILED", `The ISO could not be attached to ${vm.name}: ${err.message}`, { level: "error" });
  },
});

const detachJob = defineJob({
  type: "vm.detachIso",
  input: detachInput,
  async run(ctx) {
    const vm = await loadVm(ctx.db, ctx.job.resourceId);
    const host = await hostOf(ctx.db, vm);
    await ctx.step("detach", () => driverFor(host).detachIso(host, vmInternalName(vm)), { progress: 80, message: "Recording the change" });
    await ctx.finish(async (tx) => {
      await tx.update(instances).set({ isoId: null, bootFromIso: false }).where(eq(instances.id, vm.id));
      await recordVmEvent(tx, vm, "VM.ISO.DETACHED", `The CD-ROM of ${vm.name} is empty`);
      return { isoId: null };
    });
  },
  async onFailure(tx, job, err) {
    const vm = await loadVm(tx, job.resourceId);
    await recordVmEvent(tx, vm, "VM.ISO.DETACH.FAILED", `The ISO could not be detached from ${vm.name}: ${err.message}`, {
      level: "error",
    });
  },
});

/** Run by the orchestrator's workers (listed in server/services/background.ts). */
export const isoJobs = [attachJob, detachJob];
