import fs from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { secondaryStores, templates } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { templateManageScope } from "@/server/authz/scopes";
import { badRequest, conflict, notFound, ServiceError } from "@/server/core/errors";
import { env } from "@/server/env";
import type { ImageFormat } from "@/lib/validation/templates";
import { ImageError } from "./image-error";
import { imageFiles, removeImageFiles } from "./store-files";
import { markFailed, markReady, storeImage } from "./store-image";

/**
 * Uploads from the browser, in chunks: PUT /api/uploads/<id>?offset=N appends a chunk at N, which
 * must be exactly what the server holds (GET says how much that is), so a cut upload resumes where
 * the server's file ends. The last byte makes the server check the image and mark it Ready (or
 * Error with the reason, its files removed). Chunks of one upload are written one at a time
 * (per process: an upload's chunks come from one browser tab, one after the other).
 */

async function uploading(db: Db, caller: Caller, id: string) {
  const [row] = await db
    .select({ t: templates, store: secondaryStores })
    .from(templates)
    .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(and(eq(templates.id, id), templateManageScope(caller)));
  if (!row) throw notFound("Upload");
  return row;
}

const filesOf = (row: Awaited<ReturnType<typeof uploading>>) =>
  imageFiles(row.store, row.t.id, row.t.claimedFormat === "iso" ? "iso" : "qcow2");

async function sizeOf(file: string) {
  return fs.stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** How much of an upload the server holds (the offset the next chunk must start at). */
export async function uploadStatus(db: Db, caller: Caller, id: string) {
  const row = await uploading(db, caller, id);
  const received =
    row.t.status === "uploading" ? await sizeOf(filesOf(row).partial) : row.t.status === "ready" ? (row.t.expectedBytes ?? 0) : 0;
  return { status: row.t.status, received, size: row.t.expectedBytes ?? 0, error: row.t.errorMessage };
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

const writing = new Set<string>();

/** Appends one chunk at `offset`; the last one stores the image. Returns the upload's state after it. */
export async function writeChunk(db: Db, caller: Caller, id: string, offset: number, body: ReadableStream<Uint8Array> | null) {
  const row = await uploading(db, caller, id);
  if (row.t.status !== "uploading")
    throw conflict(`This upload is ${row.t.status === "ready" ? "complete" : "over"}; nothing more can be sent`);
  if (writing.has(id)) throw conflict("Another chunk of this upload is being written; send the next one after it");
  writing.add(id);
  try {
    const files = filesOf(row);
    const size = row.t.expectedBytes ?? 0;
    const held = await sizeOf(files.partial);
    if (offset !== held) throw new ServiceError("CONFLICT", `The server holds ${held} bytes; resume at offset ${held}`, "offset");
    if (!body) throw badRequest("The chunk is empty", "body");
    await fs.mkdir(files.dir, { recursive: true });
    let received = held;
    let first = held === 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > size) return done(badRequest(`The upload is larger than the ${size} bytes announced`, "body"));
        // A qcow2 says so in its first four bytes: refuse anything else before gigabytes follow.
        if (first && row.t.claimedFormat === "qcow2" && chunk.length >= 4 && !chunk.subarray(0, 4).equals(QCOW2_MAGIC))
          return done(new ImageError("The file is not a qcow2 image"));
        first = false;
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(body as import("node:stream/web").ReadableStream),
        limit,
        createWriteStream(files.partial, { flags: "a" }),
      );
    } catch (e) {
      // Keep only what arrived whole before the refusal or the cut: the next chunk resumes there.
      if (e instanceof ImageError) return await fail(db, row, e.message);
      if (e instanceof ServiceError) {
        await fs.truncate(files.partial, held).catch(() => undefined);
        throw e;
      }
      // The browser went away mid-chunk: the file keeps what arrived; GET tells where to resume.
    }
    const now = await sizeOf(files.partial);
    await db
      .update(templates)
      .set({ progress: size ? Math.floor((95 * now) / size) : 0 })
      .where(eq(templates.id, id));
    if (now < size) return { status: "uploading" as const, received: now, size, error: null };
    return await finishUpload(db, row, caller.userId);
  } finally {
    writing.delete(id);
  }
}

async function fail(db: Db, row: Awaited<ReturnType<typeof uploading>>, reason: string) {
  await removeImageFiles(row.store, row.t.id);
  await db.transaction((tx) => markFailed(tx, row.t.id, reason));
  return { status: "error" as const, received: 0, size: row.t.expectedBytes ?? 0, error: reason };
}

/** Every byte arrived: checksum, format, into place, Ready (counting its GiB), or Error with the reason. */
async function finishUpload(db: Db, row: Awaited<ReturnType<typeof uploading>>, actor: string) {
  try {
    const stored = await storeImage(row.store, row.t.id, (row.t.claimedFormat ?? "qcow2") as ImageFormat, row.t.checksum);
    const kept = await db.transaction((tx) => markReady(tx, row.t.id, stored, actor));
    if (!kept) await removeImageFiles(row.store, row.t.id);
    return { status: "ready" as const, received: row.t.expectedBytes ?? 0, size: row.t.expectedBytes ?? 0, error: null };
  } catch (e) {
    return fail(db, row, e instanceof Error ? e.message : String(e));
  }
}

/**
 * The upload sweep (run by the orchestrator every minute): an upload without a new chunk for
 * STRATUS_UPLOAD_ABANDON_MINUTES is given up: its file removed, the template in Error saying why
 * (its owner deletes it, as any failed template).
 */
export async function sweepAbandonedUploads(db: Db) {
  const minutes = env().STRATUS_UPLOAD_ABANDON_MINUTES;
  const stale = await db
    .select({ t: templates, store: secondaryStores })
    .from(templates)
    .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(and(eq(templates.status, "uploading"), lt(templates.updatedAt, sql`now() - (${minutes} * interval '1 minute')`)));
  for (const row of stale) {
    if (writing.has(row.t.id)) continue;
    const gaveUp = await db.transaction(async (tx) => {
      // Only if still untouched: a chunk that arrived meanwhile keeps the upload alive.
      const [still] = await tx
        .select({ id: templates.id })
        .from(templates)
        .where(and(eq(templates.id, row.t.id), eq(templates.status, "uploading"), eq(templates.updatedAt, row.t.updatedAt)))
        .for("update");
      if (still) await markFailed(tx, row.t.id, `The upload stopped for more than ${minutes} minutes and was given up`);
      return Boolean(still);
    });
    if (gaveUp) await removeImageFiles(row.store, row.t.id);
  }
}
