import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { and, asc, eq, ne, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db";
import { secondaryStores, templates, templateZoneCopies, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { templateManageScope, templateScope } from "@/server/authz/scopes";
import { recordEvent } from "@/server/core/events";
import { badRequest, conflict, forbidden, notFound, ServiceError } from "@/server/core/errors";
import { consume, release } from "@/server/core/limits";
import { retryOnDeadlock } from "@/server/core/retry";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { latestOnly } from "@/server/core/latest-only";
import { storeDirectory } from "./template-images/store-files";

/**
 * Copying a template (or ISO) to another zone's secondary store, CloudStack's copyTemplate: one
 * `template_zone_copies` row per zone it is copied to, Copying (with percent) → Ready | Error, and
 * a `template.copy` job on that row. The template is usable in a zone where it lives (its own
 * zone, every zone when it has none) or has a Ready copy. The copy's GiB count against the owner's
 * secondary storage limit from the request until the template is deleted (or the copy fails).
 */

export type TemplateCopy = typeof templateZoneCopies.$inferSelect;
const GiB = 1024 ** 3;
const gibOf = (bytes: number) => Math.max(1, Math.ceil(bytes / GiB));

/** A template is in `zoneId` when it lives there, lives everywhere, or has a Ready copy there. */
export const templateInZone = (zoneId: string): SQL =>
  // Qualified by hand: drizzle leaves columns unqualified in a one-table query, where "id" would bind inside the subquery.
  sql`("templates"."zone_id" is null or "templates"."zone_id" = ${zoneId} or exists (select 1 from template_zone_copies c where c.template_id = "templates"."id" and c.zone_id = ${zoneId} and c.status = 'ready'))`;

export { templatePathInZone } from "@/server/orchestrator/template-path";

/** A copy's files on its store, named by the template's id only. */
export function copyFiles(store: { name: string; path: string }, t: { id: string; format: string }) {
  const dir = path.join(storeDirectory(store), "templates");
  return { dir, partial: path.join(dir, `.${t.id}.copy.part`), final: path.join(dir, `${t.id}.${t.format}`) };
}

/** Removes a copy's files (after the row that named them is gone); missing ones are fine. */
export async function removeCopyFiles(store: { name: string; path: string }, t: { id: string; format: string }) {
  const f = copyFiles(store, t);
  await Promise.all([f.partial, f.final].map((p) => fsp.rm(p, { force: true })));
}

/** The zones a template has been copied to (or is being copied to), for its owner and admins. */
export async function listTemplateCopies(db: DbOrTx, caller: Caller, id: string) {
  const [t] = await db
    .select({ id: templates.id })
    .from(templates)
    .where(and(eq(templates.id, id), templateScope(caller)));
  if (!t) throw notFound("Template");
  return db
    .select({
      id: templateZoneCopies.id,
      zoneId: templateZoneCopies.zoneId,
      zoneName: zones.name,
      status: templateZoneCopies.status,
      progress: templateZoneCopies.progress,
      errorMessage: templateZoneCopies.errorMessage,
    })
    .from(templateZoneCopies)
    .innerJoin(zones, eq(zones.id, templateZoneCopies.zoneId))
    .where(eq(templateZoneCopies.templateId, id))
    .orderBy(asc(zones.name));
}

/**
 * Starts copying a Ready template to another zone (its owner, a reseller above it, or the root
 * admin): the copy row, the owner's secondary storage GiB and the job in one transaction. A copy
 * that failed before is replaced; one Ready or under way is a conflict.
 */
export async function copyTemplateToZone(db: Db, caller: Caller, input: { id: string; zoneId: string }) {
  const [found] = await db
    .select({ t: templates, store: secondaryStores })
    .from(templates)
    .leftJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(and(eq(templates.id, input.id), templateScope(caller)));
  if (!found) throw notFound("Template");
  const { t, store } = found;
  const [manageable] = await db
    .select({ id: templates.id })
    .from(templates)
    .where(and(eq(templates.id, t.id), templateManageScope(caller)));
  if (!manageable) throw forbidden(`Only the owner of ${t.name} or an administrator above it can copy it to another zone`);
  const noun = t.format === "iso" ? "ISO" : "Template";
  if (t.status !== "ready" || t.state !== "active") throw conflict(`${noun} ${t.name} is not Ready; copy it once it is`);
  if (t.zoneId === null) throw badRequest(`${noun} ${t.name} is available in every zone already`, "zoneId");
  if (t.zoneId === input.zoneId) throw badRequest(`${noun} ${t.name} lives in that zone already`, "zoneId");
  const [zone] = await db.select().from(zones).where(eq(zones.id, input.zoneId));
  if (!zone) throw notFound("Zone");
  const [target] = await db
    .select()
    .from(secondaryStores)
    .where(eq(secondaryStores.zoneId, zone.id))
    .orderBy(asc(secondaryStores.createdAt))
    .limit(1);
  if (!target)
    throw new ServiceError("PRECONDITION_FAILED", `Zone ${zone.name} has no secondary store; ask an administrator to add one`, "zoneId");
  if (!store) throw conflict(`${noun} ${t.name} has no image on a secondary store to copy`);
  // Outside any transaction: the source must be a file there (a simulator template is only a label).
  const bytes = await fsp.stat(t.path).then(
    (s) => (s.isFile() ? s.size : null),
    () => null,
  );
  if (bytes === null) throw conflict(`${noun} ${t.name} has no image file on its secondary store to copy`);
  const storedGib = gibOf(bytes);

  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const [locked] = await tx.select().from(templates).where(eq(templates.id, t.id)).for("update");
      if (!locked || locked.status !== "ready" || locked.state !== "active") throw conflict(`${noun} ${t.name} changed meanwhile; reload`);
      const [existing] = await tx
        .select()
        .from(templateZoneCopies)
        .where(and(eq(templateZoneCopies.templateId, t.id), eq(templateZoneCopies.zoneId, zone.id)))
        .for("update");
      if (existing?.status === "ready") throw conflict(`${noun} ${t.name} is in zone ${zone.name} already`, "zoneId");
      if (existing?.status === "copying") throw conflict(`${noun} ${t.name} is being copied to zone ${zone.name} already`, "zoneId");
      if (existing) await tx.delete(templateZoneCopies).where(eq(templateZoneCopies.id, existing.id));
      const [copy] = await tx
        .insert(templateZoneCopies)
        .values({ templateId: t.id, zoneId: zone.id, secondaryStoreId: target.id, storedGib })
        .returning();
      await recordEvent(tx, {
        type: t.format === "iso" ? "ISO.COPY" : "TEMPLATE.COPY",
        description: `Copying ${t.name} to zone ${zone.name}`,
        resourceType: "template",
        resourceId: t.id,
        actorUserId: caller.userId,
        accountId: t.accountId,
        domainId: t.domainId,
        domainPath: t.domainPath,
        details: { zoneId: zone.id, secondaryStoreId: target.id },
      });
      // Counters last (the lock order); an admin's own templates have no owner account to count on.
      if (t.accountId) await consume(tx, t.accountId, { secondary_storage_gib: storedGib });
      const job = await enqueueJob(tx, {
        type: "template.copy",
        resourceType: "template_copy",
        resourceId: copy!.id,
        accountId: t.accountId,
        domainPath: t.domainPath,
        userId: caller.userId,
        input: { templateId: t.id },
      });
      return { id: copy!.id, jobId: job.id };
    }),
  );
}

/** Stored GiB of a template's copies that still count (all but failed ones): given back with the template. */
export async function countedCopyGib(tx: DbOrTx, templateId: string) {
  const [{ n } = { n: 0 }] = await tx
    .select({ n: sql<number>`coalesce(sum(${templateZoneCopies.storedGib}), 0)::int` })
    .from(templateZoneCopies)
    .where(and(eq(templateZoneCopies.templateId, templateId), ne(templateZoneCopies.status, "error")));
  return Number(n);
}

/** The stores a template's copies lie on (to remove their files once the template is gone). */
export async function copyStores(db: DbOrTx, templateId: string) {
  return db
    .select({ name: secondaryStores.name, path: secondaryStores.path })
    .from(templateZoneCopies)
    .innerJoin(secondaryStores, eq(secondaryStores.id, templateZoneCopies.secondaryStoreId))
    .where(eq(templateZoneCopies.templateId, templateId));
}

const copyInput = z.object({ templateId: z.string().uuid() });

declare global {
  interface StratusJobInputs {
    "template.copy": typeof copyInput;
  }
}

/**
 * template.copy: streams the image into a temporary file on the target store (percent on the copy
 * row as it goes), renames it into place, and marks the copy Ready. A run resumed after a crash
 * starts the copy again (the temporary file is replaced); a failure removes it, marks the copy
 * Error with the reason and gives its GiB back.
 */
export const templateCopyJob = defineJob({
  type: "template.copy",
  input: copyInput,
  async run(ctx) {
    const [row] = await ctx.db
      .select({ copy: templateZoneCopies, t: templates, store: secondaryStores })
      .from(templateZoneCopies)
      .innerJoin(templates, eq(templates.id, templateZoneCopies.templateId))
      .innerJoin(secondaryStores, eq(secondaryStores.id, templateZoneCopies.secondaryStoreId))
      .where(eq(templateZoneCopies.id, ctx.job.resourceId));
    if (!row || row.copy.status !== "copying") return ctx.finish(() => Promise.resolve({ state: row?.copy.status ?? "gone" }));
    const { copy, t, store } = row;
    const files = copyFiles(store, t);
    if (path.resolve(files.final) === path.resolve(t.path))
      throw new Error(`The secondary store of zone ${copy.zoneId} is the template's own store; nothing to copy`);
    let bytes = 0;
    try {
      await fsp.mkdir(files.dir, { recursive: true });
      await fsp.rm(files.partial, { force: true });
      const total = (await fsp.stat(t.path)).size;
      let done = 0;
      let lastPct = -1;
      // Awaited before the job finishes, so a late progress write never lands after the final one.
      const progress = latestOnly((pct: number) =>
        ctx.db
          .update(templateZoneCopies)
          .set({ progress: pct })
          .where(and(eq(templateZoneCopies.id, copy.id), eq(templateZoneCopies.status, "copying")))
          .then(() => ctx.progress(pct, `Copied ${Math.round(done / 1024 / 1024)} of ${Math.round(total / 1024 / 1024)} MiB`)),
      );
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          done += chunk.length;
          const pct = total ? Math.floor((95 * done) / total) : 95;
          if (pct !== lastPct) progress.report((lastPct = pct));
          cb(null, chunk);
        },
      });
      await pipeline(fs.createReadStream(t.path), meter, fs.createWriteStream(files.partial));
      await progress.flush();
      bytes = (await fsp.stat(files.partial)).size;
      if (bytes !== total) throw new Error(`The copy of ${t.name} has ${bytes} bytes where the image has ${total}`);
      await fsp.rename(files.partial, files.final);
    } catch (e) {
      await fsp.rm(files.partial, { force: true }).catch(() => undefined);
      throw e;
    }
    let kept = false;
    await ctx.finish(async (tx) => {
      const [ready] = await tx
        .update(templateZoneCopies)
        .set({ status: "ready", progress: 100, path: files.final, storedBytes: bytes, errorMessage: null })
        .where(and(eq(templateZoneCopies.id, copy.id), eq(templateZoneCopies.status, "copying")))
        .returning();
      kept = Boolean(ready);
      if (ready)
        await recordEvent(tx, {
          type: t.format === "iso" ? "ISO.COPIED" : "TEMPLATE.COPIED",
          description: `${t.name} is ready in zone ${copy.zoneId}`,
          resourceType: "template",
          resourceId: t.id,
          accountId: t.accountId,
          domainId: t.domainId,
          domainPath: t.domainPath,
          actorUserId: ctx.job.userId,
        });
      return { state: ready ? "ready" : "gone", bytes };
    });
    // The template (and so its copy row) was deleted while the bytes flowed: its file goes too.
    if (!kept) await removeCopyFiles(store, t);
  },
  async onFailure(tx, job, err) {
    const [copy] = await tx.select().from(templateZoneCopies).where(eq(templateZoneCopies.id, job.resourceId)).for("update");
    if (!copy || copy.status !== "copying") return;
    const [t] = await tx.select().from(templates).where(eq(templates.id, copy.templateId));
    await tx
      .update(templateZoneCopies)
      .set({ status: "error", progress: 0, errorMessage: err.message.slice(0, 1000), storedGib: 0 })
      .where(eq(templateZoneCopies.id, copy.id));
    if (t?.accountId) await release(tx, t.accountId, { secondary_storage_gib: copy.storedGib });
  },
});
