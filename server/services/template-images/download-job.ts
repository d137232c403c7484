import { eq } from "drizzle-orm";
import fs from "node:fs/promises";
import { z } from "zod";
import { secondaryStores, templates } from "@/db/schema";
import { env } from "@/server/env";
import { latestOnly } from "@/server/core/latest-only";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { imageFormats, parseChecksum } from "@/lib/validation/templates";
import { fetchImage } from "./fetch-image";
import { ImageError } from "./image-error";
import { imageFiles, removeImageFiles } from "./store-files";
import { markFailed, markReady, storeImage } from "./store-image";

export const TEMPLATE_DOWNLOAD_JOB = "template.download";

/** The format the owner claimed (raw is stored as qcow2, so the row cannot tell it). */
const downloadInput = z.object({ format: z.enum(imageFormats) });

declare global {
  interface StratusJobInputs {
    "template.download": typeof downloadInput;
  }
}

/**
 * template.download: fetches the template's URL into a temporary file on its zone's secondary
 * store (percent written to the template as it goes), checks it and renames it into place, then
 * marks the template Ready in the transaction that counts its GiB. Any failure removes the files
 * and leaves the template in Error with the reason (deletable). A run resumed after a crash starts
 * the download again.
 */
export const templateDownloadJob = defineJob({
  type: TEMPLATE_DOWNLOAD_JOB,
  input: downloadInput,
  async run(ctx) {
    const [row] = await ctx.db
      .select({ t: templates, store: secondaryStores })
      .from(templates)
      .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
      .where(eq(templates.id, ctx.job.resourceId));
    if (!row || row.t.status !== "downloading" || !row.t.url) return;
    const { t, store } = row;
    const url = row.t.url;
    const files = imageFiles(store, t.id, ctx.input.format === "iso" ? "iso" : "qcow2");
    const algorithm = (t.checksum ? parseChecksum(t.checksum)?.algorithm : undefined) ?? "sha256";
    let lastPct = -1;
    const progress = latestOnly(({ pct, received }: { pct: number; received: number }) =>
      ctx.db
        .update(templates)
        .set({ progress: pct })
        .where(eq(templates.id, t.id))
        .then(() => ctx.progress(pct, `Downloaded ${Math.round(received / 1024 / 1024)} MiB`)),
    );
    try {
      await fs.mkdir(files.dir, { recursive: true });
      const fetched = await fetchImage(url, files.partial, {
        maxBytes: env().STRATUS_TEMPLATE_MAX_MIB * 1024 * 1024,
        algorithm,
        onProgress: (received, total) => {
          const pct = total ? Math.floor((90 * received) / total) : 0;
          if (pct === lastPct) return;
          lastPct = pct;
          progress.report({ pct, received });
        },
      });
      // Awaited before the job finishes, so a late progress write never lands after the final one.
      await progress.flush();
      await ctx.progress(92, "Checking the image");
      const stored = await storeImage(store, t.id, ctx.input.format, t.checksum, fetched.digest);
      let kept = false;
      await ctx.finish(async (tx) => {
        kept = await markReady(tx, t.id, stored, ctx.job.userId);
        return { bytes: stored.storedBytes, format: stored.format };
      });
      if (!kept) await removeImageFiles(store, t.id);
    } catch (e) {
      await removeImageFiles(store, t.id).catch(() => undefined);
      // Not an ImageError: a fault of ours (disk full, qemu-img missing); said as it is.
      throw e instanceof ImageError ? e : new ImageError(e instanceof Error ? e.message : String(e));
    }
  },
  async onFailure(tx, job, error) {
    await markFailed(tx, job.resourceId, error.message);
  },
});
