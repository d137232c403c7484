import { asc, eq } from "drizzle-orm";
import type { Db, Tx } from "@/db";
import { secondaryStores, templates, zones } from "@/db/schema";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { forbidden, notFound, badRequest } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { accountOwner, consume } from "@/server/core/limits";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import type { RegisterFromUrlInput, StartUploadInput } from "@/lib/validation/templates";
import { TEMPLATE_DOWNLOAD_JOB } from "./template-images/download-job";

type ImageInput = Omit<RegisterFromUrlInput, "url">;

/** Public and featured are the root admin's to give (CloudStack: a featured template is public). */
function visibilityOf(caller: Caller, input: Pick<ImageInput, "isPublic" | "isFeatured">) {
  if ((input.isPublic || input.isFeatured) && !isRootAdmin(caller))
    throw forbidden("Only the root administrator can make a template public or featured");
  return { isPublic: input.isPublic || input.isFeatured, isFeatured: input.isFeatured };
}

/** The zone's secondary store that takes new images (the first by name). */
export async function storeOfZone(db: Db, zoneId: string) {
  const [z] = await db.select({ id: zones.id, name: zones.name }).from(zones).where(eq(zones.id, zoneId));
  if (!z) throw notFound("Zone");
  const [store] = await db
    .select()
    .from(secondaryStores)
    .where(eq(secondaryStores.zoneId, zoneId))
    .orderBy(asc(secondaryStores.name))
    .limit(1);
  if (!store) throw badRequest(`Zone ${z.name} has no secondary store to keep images on; ask an administrator to add one`, "zoneId");
  return store;
}

/**
 * The template row (Downloading or Uploading, owned by the caller's account) and its count
 * against the `templates` limit, in the caller's transaction.
 */
async function insertPending(
  tx: Tx,
  caller: Caller,
  input: ImageInput,
  store: { id: string; zoneId: string },
  extra: { status: "downloading" | "uploading"; url?: string; expectedBytes?: number },
) {
  const owner = await accountOwner(tx, caller.accountId);
  const [t] = await tx
    .insert(templates)
    .values({
      name: input.name,
      displayText: input.displayText ?? null,
      osType: input.osType,
      hypervisorType: "kvm",
      format: input.format === "iso" ? "iso" : "qcow2",
      sizeGib: 1,
      path: "",
      ...visibilityOf(caller, input),
      accountId: owner.id,
      domainId: owner.domainId,
      domainPath: owner.domainPath,
      zoneId: store.zoneId,
      secondaryStoreId: store.id,
      status: extra.status,
      progress: 0,
      url: extra.url ?? null,
      checksum: input.checksum ?? null,
      claimedFormat: input.format,
      expectedBytes: extra.expectedBytes ?? null,
    })
    .returning();
  await consume(tx, owner.id, { templates: 1 }, { accountName: owner.name, domainPath: owner.domainPath });
  return { t: t!, owner };
}

/** Registers a template or ISO from an http(s) URL: the row now (Downloading), the bytes in a template.download job. */
export async function registerFromUrl(db: Db, caller: Caller, input: RegisterFromUrlInput) {
  visibilityOf(caller, input);
  const store = await storeOfZone(db, input.zoneId);
  return db.transaction(async (tx) => {
    const { t, owner } = await insertPending(tx, caller, input, store, { status: "downloading", url: input.url });
    const job = await enqueueJob(tx, {
      type: TEMPLATE_DOWNLOAD_JOB,
      resourceType: "template",
      resourceId: t.id,
      accountId: owner.id,
      domainPath: owner.domainPath,
      userId: caller.userId,
      input: { format: input.format },
      maxAttempts: 2,
    });
    await recordEvent(tx, {
      type: input.format === "iso" ? "ISO.REGISTER" : "TEMPLATE.REGISTER",
      description: `Registering ${input.format} ${t.name} from ${new URL(input.url).host}`,
      resourceType: "template",
      resourceId: t.id,
      accountId: owner.id,
      domainId: owner.domainId,
      domainPath: owner.domainPath,
      actorUserId: caller.userId,
      details: { url: input.url },
    });
    return { template: t, jobId: job.id };
  });
}

/** Starts an upload from the browser: the row (Uploading), whose id the chunks are sent to. */
export async function startUpload(db: Db, caller: Caller, input: StartUploadInput, maxBytes: number) {
  visibilityOf(caller, input);
  if (input.sizeBytes > maxBytes)
    throw badRequest(`The file is larger than the ${Math.floor(maxBytes / 1024 / 1024)} MiB allowed`, "sizeBytes");
  const store = await storeOfZone(db, input.zoneId);
  return db.transaction(async (tx) => {
    const { t, owner } = await insertPending(tx, caller, input, store, { status: "uploading", expectedBytes: input.sizeBytes });
    await recordEvent(tx, {
      type: input.format === "iso" ? "ISO.UPLOAD" : "TEMPLATE.UPLOAD",
      description: `Uploading ${input.format} ${t.name} (${input.sizeBytes} bytes)`,
      resourceType: "template",
      resourceId: t.id,
      accountId: owner.id,
      domainId: owner.domainId,
      domainPath: owner.domainPath,
      actorUserId: caller.userId,
    });
    return { template: t };
  });
}
