import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { templates } from "@/db/schema";
import { recordEvent } from "@/server/core/events";
import { consume } from "@/server/core/limits";
import { recordTemplateUsage } from "@/server/core/usage";
import { type ImageFormat, parseChecksum } from "@/lib/validation/templates";
import { checkImage } from "./check-image";
import { ImageError } from "./image-error";
import { imageFiles } from "./store-files";

type Store = { name: string; path: string };

export interface StoredImage {
  path: string;
  format: "qcow2" | "iso" | "simulator";
  storedBytes: number;
  virtualBytes: number;
}

async function fileDigest(file: string, algorithm: string) {
  const h = createHash(algorithm);
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}

/**
 * Turns a complete temporary file into the template's image: checksum compared (when the owner
 * gave one), format checked with qemu-img (raw converted to qcow2), then renamed into place. On
 * any refusal every file of the template is removed, so nothing half-stored stays behind.
 * `digest`: the hash already computed while downloading, in the checksum's algorithm.
 */
export async function storeImage(
  store: Store,
  templateId: string,
  claimed: ImageFormat,
  checksum: string | null,
  digest?: string,
): Promise<StoredImage> {
  const files = imageFiles(store, templateId, claimed === "iso" ? "iso" : "qcow2");
  const expected = checksum ? parseChecksum(checksum) : null;
  if (expected) {
    const actual = digest ?? (await fileDigest(files.partial, expected.algorithm));
    if (actual !== expected.hex)
      throw new ImageError(`Checksum mismatch: the ${expected.algorithm} of the image is ${actual}, not ${expected.hex}`);
  }
  const checked = await checkImage(files.partial, claimed, files.converted);
  if (claimed === "raw") {
    await fs.rename(files.converted, files.final);
    await fs.rm(files.partial, { force: true });
  } else await fs.rename(files.partial, files.final);
  const { size } = await fs.stat(files.final);
  return { path: files.final, format: checked.format, storedBytes: size, virtualBytes: checked.virtualBytes };
}

const gib = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024 ** 3));

/**
 * The template becomes Ready, in the transaction that counts its stored GiB against the owner's
 * secondary storage limit (refused: the transaction rolls back and the caller fails the template).
 */
export async function markReady(tx: DbOrTx, templateId: string, img: StoredImage, actor: string | null): Promise<boolean> {
  // Locked first: a template deleted while its bytes arrived is not brought back.
  const [t] = await tx.select().from(templates).where(eq(templates.id, templateId)).for("update");
  if (!t || (t.status !== "downloading" && t.status !== "uploading")) return false;
  const storedGib = gib(img.storedBytes);
  if (t.accountId) await consume(tx, t.accountId, { secondary_storage_gib: storedGib });
  const [u] = await tx
    .update(templates)
    .set({
      status: "ready",
      progress: 100,
      errorMessage: null,
      path: img.path,
      format: img.format,
      sizeGib: gib(img.virtualBytes),
      storedBytes: img.storedBytes,
      storedGib,
    })
    .where(eq(templates.id, t.id))
    .returning();
  // Once per template: only the transaction that moved it to Ready gets here.
  if (u) await recordTemplateUsage(tx, "CREATE", u, { key: `${u.id}:CREATE` });
  await recordEvent(tx, {
    type: img.format === "iso" ? "ISO.READY" : "TEMPLATE.READY",
    description: `${img.format === "iso" ? "ISO" : "Template"} ${t.name} is ready (${img.format}, ${storedGib} GiB stored)`,
    resourceType: "template",
    resourceId: t.id,
    accountId: u?.accountId ?? null,
    domainId: u?.domainId ?? null,
    domainPath: u?.domainPath ?? null,
    actorUserId: actor,
  });
  return true;
}

/** The template fails with the reason (in the job's failure transaction); its files are already gone. */
export async function markFailed(tx: DbOrTx, templateId: string, reason: string) {
  const [u] = await tx
    .update(templates)
    .set({ status: "error", errorMessage: reason.slice(0, 1000), progress: 0 })
    .where(eq(templates.id, templateId))
    .returning();
  if (u)
    await recordEvent(tx, {
      type: u.format === "iso" ? "ISO.ERROR" : "TEMPLATE.ERROR",
      level: "error",
      description: `${u.name} could not be stored: ${reason}`,
      resourceType: "template",
      resourceId: u.id,
      accountId: u.accountId,
      domainId: u.domainId,
      domainPath: u.domainPath,
    });
}
