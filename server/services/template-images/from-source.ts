import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "@/db";
import { instances, secondaryStores, snapshots, storagePools, templates, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { conflict } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { accountOwner, consume } from "@/server/core/limits";
import { retryOnDeadlock } from "@/server/core/retry";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import type { ExportedImage } from "@/server/orchestrator/drivers/types";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import type { CreateTemplateFromSnapshotInput, CreateTemplateFromVolumeInput } from "@/lib/validation/templates";
import { hostForSnapshot, snapshotFileOf } from "@/server/services/snapshots/files";
import { getSnapshotInScope } from "@/server/services/snapshots/operations";
import { getVolumeInScope, type Volume } from "@/server/services/volumes/access";
import { volumeTarget } from "@/server/services/volumes/job-target";
import { storeOfZone } from "../template-register";
import { imageFiles, removeImageFiles } from "./store-files";
import { markFailed, markReady } from "./store-image";

const GIB = 1024 ** 3;

/** The template being written and what it is made from (a snapshot, or a volume). */
const fromInput = z.object({
  templateId: z.string().uuid(),
  snapshotId: z.string().uuid().optional(),
  volumeId: z.string().uuid().optional(),
});

declare global {
  interface StratusJobInputs {
    "template.create-from": typeof fromInput;
  }
}

type Source = { kind: "kvm" | "simulator"; owner: { accountId: string }; zoneId: string; sizeGib: number; label: string };

/**
 * The template row (Downloading at 0 %, private to the source's account, in its zone, qcow2 for
 * libvirt or simulator for the simulator) and its count against `templates`, with the event and
 * the job, in one transaction. Its GiB count against `secondary_storage_gib` when it is Ready
 * (`markReady`, as for downloads and uploads).
 */
async function beginTemplate(
  tx: Tx,
  caller: Caller,
  input: { name: string; displayText?: string; osType: string },
  src: Source,
  store: { id: string; zoneId: string },
  job: { resourceType: "template" | "volume"; resourceId?: string; snapshotId?: string; volumeId?: string },
) {
  const owner = await accountOwner(tx, src.owner.accountId);
  const [t] = await tx
    .insert(templates)
    .values({
      name: input.name,
      displayText: input.displayText ?? null,
      osType: input.osType,
      hypervisorType: src.kind,
      format: src.kind === "kvm" ? "qcow2" : "simulator",
      sizeGib: src.sizeGib,
      path: "",
      isPublic: false,
      accountId: owner.id,
      domainId: owner.domainId,
      domainPath: owner.domainPath,
      zoneId: store.zoneId,
      secondaryStoreId: store.id,
      status: "downloading",
      progress: 0,
    })
    .returning();
  await recordEvent(tx, {
    type: "TEMPLATE.CREATE",
    description: `Creating template ${t!.name} from ${src.label}`,
    resourceType: "template",
    resourceId: t!.id,
    accountId: owner.id,
    domainId: owner.domainId,
    domainPath: owner.domainPath,
    actorUserId: caller.userId,
    details: { snapshotId: job.snapshotId, volumeId: job.volumeId },
  });
  await consume(tx, owner.id, { templates: 1 }, { accountName: owner.name, domainPath: owner.domainPath });
  const queued = await enqueueJob(tx, {
    type: "template.create-from",
    resourceType: job.resourceType,
    resourceId: job.resourceId ?? t!.id,
    accountId: owner.id,
    domainPath: owner.domainPath,
    userId: caller.userId,
    input: { templateId: t!.id, snapshotId: job.snapshotId, volumeId: job.volumeId },
    maxAttempts: 2,
  });
  return { id: t!.id, jobId: queued.id };
}

async function poolKind(db: Db, vol: Volume): Promise<"kvm" | "simulator"> {
  if (!vol.storagePoolId) throw conflict(`Volume ${vol.name} has never been placed on a pool: it holds no data yet`, "volumeId");
  const [pool] = await db.select({ type: storagePools.type }).from(storagePools).where(eq(storagePools.id, vol.storagePoolId));
  return pool?.type === "local_dir" ? "kvm" : "simulator";
}

/** A template from a Ready snapshot (CloudStack's createTemplate with a snapshot id): the snapshot's chain flattened. */
export async function createTemplateFromSnapshot(db: Db, caller: Caller, input: CreateTemplateFromSnapshotInput) {
  const snap = await getSnapshotInScope(db, caller, input.snapshotId);
  if (snap.state !== "ready") throw conflict(`Snapshot ${snap.name} is ${snap.state}; only a Ready snapshot can be made into a template`);
  const store = await storeOfZone(db, snap.zoneId);
  const src: Source = {
    kind: snap.file?.endsWith(".qcow2") ? "kvm" : "simulator",
    owner: snap,
    zoneId: snap.zoneId,
    sizeGib: Math.max(1, Math.ceil(Number(snap.capacityBytes ?? 0) / GIB)),
    label: `snapshot ${snap.name}`,
  };
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const [current] = await tx.select({ state: snapshots.state }).from(snapshots).where(eq(snapshots.id, snap.id)).for("share");
      if (current?.state !== "ready") throw conflict(`Snapshot ${snap.name} changed meanwhile; reload and try again`);
      return beginTemplate(tx, caller, input, src, store, { resourceType: "template", snapshotId: snap.id });
    }),
  );
}

/**
 * A template from a volume, ROOT or DATADISK (CloudStack's createTemplate with a volume id): the
 * volume must be Ready and, when attached, its VM stopped (a running guest's disk would be copied
 * mid-write). The job runs on the volume, so no other volume job (snapshot, resize, migrate…)
 * overlaps the copy.
 */
export async function createTemplateFromVolume(db: Db, caller: Caller, input: CreateTemplateFromVolumeInput) {
  const vol = await getVolumeInScope(db, caller, input.volumeId);
  const store = await storeOfZone(db, vol.zoneId);
  const src: Source = { kind: await poolKind(db, vol), owner: vol, zoneId: vol.zoneId, sizeGib: vol.sizeGib, label: `volume ${vol.name}` };
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      if (vol.instanceId) {
        const [vm] = await tx.select().from(instances).where(eq(instances.id, vol.instanceId)).for("no key update");
        if (vm && vm.state !== "stopped")
          throw conflict(`Stop instance ${vm.name} before making a template of volume ${vol.name}: it is ${vm.state}`, "volumeId");
      }
      const [locked] = await tx.select().from(volumes).where(eq(volumes.id, vol.id)).for("update");
      if (locked?.state !== "ready") throw conflict(`Cannot make a template of volume ${vol.name} while it is ${locked?.state ?? "gone"}`);
      return beginTemplate(tx, caller, input, src, store, { resourceType: "volume", resourceId: vol.id, volumeId: vol.id });
    }),
  );
}

/**
 * template.create-from: the driver writes the image on the zone's secondary store (libvirt: a
 * self-contained qcow2; simulator: sizes only), then the template is Ready in the transaction that
 * counts its stored GiB. A failure removes the files and leaves the template in Error with the reason.
 */
export const templateFromSourceJob = defineJob({
  type: "template.create-from",
  input: fromInput,
  async run(ctx) {
    const { templateId, snapshotId, volumeId } = ctx.input;
    const [row] = await ctx.db
      .select({ t: templates, store: secondaryStores })
      .from(templates)
      .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
      .where(eq(templates.id, templateId));
    if (!row || row.t.status !== "downloading") return;
    const { t, store } = row;
    const target = imageFiles(store, t.id, "qcow2").final;
    const progress = async (pct: number, message: string) => {
      await ctx.db.update(templates).set({ progress: pct }).where(eq(templates.id, t.id));
      await ctx.progress(pct, message);
    };
    let made: ExportedImage;
    try {
      if (snapshotId) {
        const [snap] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, snapshotId));
        if (!snap?.file || snap.state !== "ready") throw new Error(`Snapshot ${snapshotId} is no longer Ready`);
        const host = await hostForSnapshot(ctx.db, snap);
        await progress(10, `Flattening snapshot ${snap.name} into the template`);
        made = await driverFor(host).exportSnapshot(host, snapshotFileOf(snap), target);
      } else if (volumeId) {
        const [vol] = await ctx.db.select().from(volumes).where(eq(volumes.id, volumeId));
        if (!vol) throw new Error(`Volume ${volumeId} no longer exists`);
        const { host, ref } = await volumeTarget(ctx.db, vol);
        await progress(10, `Copying volume ${vol.name} into the template`);
        made = await driverFor(host).exportVolume(host, ref, target);
      } else throw new Error("A template needs a snapshot or a volume to be made from");
    } catch (e) {
      await removeImageFiles(store, t.id).catch(() => undefined);
      throw e;
    }
    await progress(95, "Recording the template");
    let kept = false;
    await ctx.finish(async (tx) => {
      kept = await markReady(
        tx,
        t.id,
        {
          path: target,
          format: t.format === "simulator" ? "simulator" : "qcow2",
          storedBytes: made.bytes,
          virtualBytes: made.virtualBytes,
        },
        ctx.job.userId,
      );
      return { bytes: made.bytes };
    });
    if (!kept) await removeImageFiles(store, t.id);
  },
  async onFailure(tx, job, error) {
    const parsed = fromInput.safeParse(job.input);
    if (parsed.success) await markFailed(tx, parsed.data.templateId, error.message);
  },
});
