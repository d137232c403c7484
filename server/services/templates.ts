import fs from "node:fs/promises";
import path from "node:path";
import { and, asc, count, desc, eq, ilike, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { accounts, instances, secondaryStores, templateShares, templates, templateZoneCopies, zones } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { can } from "@/server/authz/permissions";
import { templateManageScope, templateScope } from "@/server/authz/scopes";
import { release } from "@/server/core/limits";
import { recordTemplateUsage } from "@/server/core/usage";
import type { ListImagesInput, ListTemplatesInput, RegisterTemplateInput, UpdateTemplateInput } from "@/lib/validation/templates";
import { inspectImage } from "@/server/orchestrator/drivers/images";
import { removeImageFiles } from "./template-images/store-files";
import { copyStores, countedCopyGib, removeCopyFiles, templateInZone } from "./template-copy";
import { recordEvent } from "@/server/core/events";
import { badRequest, conflict, forbidden, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { changes, defined } from "./infrastructure/common";

export type Template = typeof templates.$inferSelect;

function assertAdmin(caller: Caller) {
  if (!can(caller.accountType, "infra.manage")) throw forbidden("Only the root administrator can register or change templates");
}

export async function listTemplates(db: DbOrTx, caller: Caller, input: ListTemplatesInput = {}) {
  const conds: (SQL | undefined)[] = [templateScope(caller)];
  if (input?.zoneId) conds.push(templateInZone(input.zoneId));
  if (input?.hypervisorType) conds.push(eq(templates.hypervisorType, input.hypervisorType));
  if (input?.search) conds.push(ilike(templates.name, `%${escapeLike(input.search)}%`));
  const admin = can(caller.accountType, "infra.manage");
  const rows = await db
    .select({
      id: templates.id,
      name: templates.name,
      displayText: templates.displayText,
      osType: templates.osType,
      hypervisorType: templates.hypervisorType,
      format: templates.format,
      sizeGib: templates.sizeGib,
      isPublic: templates.isPublic,
      state: templates.state,
      zoneId: templates.zoneId,
      zoneName: zones.name,
      createdAt: templates.createdAt,
      // Storage details are the operator's business.
      path: admin ? templates.path : sql<string>`''`,
      secondaryStoreId: templates.secondaryStoreId,
      secondaryStoreName: admin ? secondaryStores.name : sql<string | null>`null`,
      instances: admin
        ? sql<number>`(select count(*)::int from ${instances} where ${instances.templateId} = ${templates.id} and ${instances.state} <> 'expunged')`
        : sql<number>`0`,
    })
    .from(templates)
    .leftJoin(zones, eq(zones.id, templates.zoneId))
    .leftJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(and(...conds))
    .orderBy(asc(templates.name), asc(templates.id));
  return rows.map((r) => ({ ...r, instances: Number(r.instances) }));
}

const mine = (caller: Caller) => (isRootAdmin(caller) ? sql`true` : sql`coalesce(${templateManageScope(caller)}, false)`);

const imageColumns = (caller: Caller) => ({
  id: templates.id,
  name: templates.name,
  displayText: templates.displayText,
  osType: templates.osType,
  format: templates.format,
  sizeGib: templates.sizeGib,
  storedGib: templates.storedGib,
  status: templates.status,
  progress: templates.progress,
  errorMessage: templates.errorMessage,
  state: templates.state,
  isPublic: templates.isPublic,
  isFeatured: templates.isFeatured,
  zoneId: templates.zoneId,
  zoneName: zones.name,
  accountId: templates.accountId,
  accountName: accounts.name,
  createdAt: templates.createdAt,
  /** The other zones it is copied to (or being copied to, or failed to copy to). */
  copies: sql<
    { zoneId: string; zoneName: string; status: "copying" | "ready" | "error"; progress: number; errorMessage: string | null }[]
  >`coalesce((select json_agg(json_build_object('zoneId', c.zone_id, 'zoneName', z.name, 'status', c.status, 'progress', c.progress, 'errorMessage', c.error_message) order by z.name) from template_zone_copies c join zones z on z.id = c.zone_id where c.template_id = "templates"."id"), '[]'::json)`,
  /** The caller may delete and share it (its own, or its subtree's for a reseller). */
  mine: sql<boolean>`${mine(caller)}`.mapWith(Boolean),
  /** How many accounts and domains it is shared with: its owner's business only. */
  shares:
    sql<number>`case when ${mine(caller)} then (select count(*)::int from ${templateShares} where ${templateShares.templateId} = ${templates.id}) else 0 end`.mapWith(
      Number,
    ),
});

/**
 * Templates or ISOs the caller may see (templateScope): the Templates and ISOs pages of every role.
 * Featured first, then by name.
 */
export async function listImages(db: DbOrTx, caller: Caller, input: ListImagesInput = undefined) {
  const kind = input?.kind ?? "template";
  const conds: (SQL | undefined)[] = [templateScope(caller), kind === "iso" ? eq(templates.format, "iso") : ne(templates.format, "iso")];
  if (input?.zoneId) conds.push(templateInZone(input.zoneId));
  if (input?.search) conds.push(ilike(templates.name, `%${escapeLike(input.search)}%`));
  const filter = input?.filter ?? "all";
  if (filter === "mine") conds.push(eq(templates.accountId, caller.accountId));
  if (filter === "public") conds.push(eq(templates.isPublic, true));
  if (filter === "featured") conds.push(eq(templates.isFeatured, true));
  if (filter === "shared") conds.push(and(ne(templates.isPublic, true), sql`${templates.accountId} is distinct from ${caller.accountId}`));
  return db
    .select(imageColumns(caller))
    .from(templates)
    .leftJoin(zones, eq(zones.id, templates.zoneId))
    .leftJoin(accounts, eq(accounts.id, templates.accountId))
    .where(and(...conds))
    .orderBy(desc(templates.isFeatured), asc(templates.name), asc(templates.id));
}

/** One template or ISO in the caller's scope, or NOT_FOUND. */
export async function getImage(db: DbOrTx, caller: Caller, id: string) {
  const [t] = await db
    .select(imageColumns(caller))
    .from(templates)
    .leftJoin(zones, eq(zones.id, templates.zoneId))
    .leftJoin(accounts, eq(accounts.id, templates.accountId))
    .where(and(eq(templates.id, id), templateScope(caller)));
  if (!t) throw notFound("Template");
  return t;
}

/** Resolves `p` inside the store's directory; anything that would leave it is refused. */
export function resolveInStore(storePath: string, p: string) {
  const root = path.resolve(storePath);
  const full = path.isAbsolute(p) ? path.resolve(p) : path.resolve(root, p);
  if (full !== root && !full.startsWith(root + path.sep))
    throw badRequest(`The image must lie inside the secondary store (${root})`, "path");
  if (full === root) throw badRequest("Path must name an image file, not the store itself", "path");
  return full;
}

/**
 * The image's real location, which must still be inside the store's real directory: a symlink in
 * the store must not register a file from elsewhere (such as /etc/shadow) as a template.
 */
async function realPathInStore(storePath: string, file: string) {
  let root: string;
  let real: string;
  try {
    [root, real] = await Promise.all([fs.realpath(path.resolve(storePath)), fs.realpath(file)]);
  } catch {
    throw badRequest(`No image at ${file} on the secondary store`, "path");
  }
  if (!real.startsWith(root + path.sep)) throw badRequest(`The image must lie inside the secondary store (${storePath})`, "path");
  return file;
}

/** Checks a KVM image with qemu-img (outside any transaction); returns its virtual size in bytes. */
async function checkTemplateImage(file: string, format: "qcow2" | "raw"): Promise<number> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw badRequest(`${file} is not a file`, "path");
  } catch (e) {
    if (e instanceof Error && e.name === "ServiceError") throw e;
    throw badRequest(`No image at ${file} on the secondary store`, "path");
  }
  let info: Awaited<ReturnType<typeof inspectImage>>;
  try {
    info = await inspectImage(file, format, { timeoutMs: 30_000 });
  } catch (e) {
    throw badRequest(`${file} is not a ${format} image: ${e instanceof Error ? e.message : String(e)}`, "format");
  }
  if (info.backingFile) throw badRequest(`${file} has a backing file; flatten it (qemu-img convert) before registering it`, "path");
  return info.virtualSize;
}

/** Registers a template from an image already on a zone's secondary store (root admin). */
export async function registerTemplate(db: Db, caller: Caller, input: RegisterTemplateInput): Promise<Template> {
  assertAdmin(caller);
  const [store] = await db.select().from(secondaryStores).where(eq(secondaryStores.id, input.secondaryStoreId));
  if (!store) throw new ServiceError("NOT_FOUND", "Secondary store not found", "secondaryStoreId");
  const file = input.hypervisorType === "kvm" ? await realPathInStore(store.path, resolveInStore(store.path, input.path)) : input.path;
  let sizeGib = input.sizeGib;
  // What the image takes on the store (the capacity page counts stored bytes, not the virtual size).
  let storedBytes = 0;
  if (input.hypervisorType === "kvm") {
    const bytes = await checkTemplateImage(file, input.format === "raw" ? "raw" : "qcow2");
    const imageGib = Math.max(1, Math.ceil(bytes / 1024 ** 3));
    if (sizeGib !== undefined && sizeGib < imageGib) throw badRequest(`Size must be at least the image's ${imageGib} GiB`, "sizeGib");
    sizeGib ??= imageGib;
    storedBytes = (await fs.stat(file)).size;
  }
  try {
    return await db.transaction(async (tx) => {
      const [t] = await tx
        .insert(templates)
        .values({
          name: input.name,
          displayText: input.displayText ?? null,
          osType: input.osType,
          hypervisorType: input.hypervisorType,
          format: input.format,
          sizeGib: sizeGib ?? 1,
          path: file,
          storedBytes,
          isPublic: input.isPublic,
          zoneId: store.zoneId,
          secondaryStoreId: store.id,
        })
        .returning();
      await recordEvent(tx, {
        type: "TEMPLATE.REGISTER",
        description: `Registered ${input.hypervisorType} template ${t!.name} (${input.format}, ${t!.sizeGib} GiB) from ${store.name}`,
        resourceType: "template",
        resourceId: t!.id,
        actorUserId: caller.userId,
        details: { path: file, osType: input.osType },
      });
      return t!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A template named "${input.name}" already exists`, "name");
    throw e;
  }
}

export async function updateTemplate(db: Db, caller: Caller, input: UpdateTemplateInput): Promise<Template> {
  assertAdmin(caller);
  const [t] = await db.select().from(templates).where(eq(templates.id, input.id));
  if (!t) throw notFound("Template");
  const patch = defined({
    name: input.name,
    displayText: input.displayText,
    osType: input.osType,
    isPublic: input.isPublic,
    state: input.state,
  });
  const diff = changes(t, patch);
  if (Object.keys(diff).length === 0) return t;
  return db.transaction(async (tx) => {
    const [u] = await tx.update(templates).set(patch).where(eq(templates.id, t.id)).returning();
    await recordEvent(tx, {
      type: "TEMPLATE.UPDATE",
      description: `Updated template ${t.name}`,
      resourceType: "template",
      resourceId: t.id,
      actorUserId: caller.userId,
      details: { changes: diff },
    });
    return u!;
  });
}

/**
 * Deletes a template or ISO (its owner, a reseller above it, or the root admin). Refused while a
 * VM that is not expunged was deployed from it: the libvirt driver copies the image to primary
 * storage once and a later start may need it again. One that only expunged VMs still name (their
 * records keep it for history) is made inactive instead. Either way its count and stored GiB are
 * given back in the same transaction, and the files Stratus stored for it (named by its id;
 * never an image an admin registered by path) are removed after the commit.
 */
export async function deleteTemplate(db: Db, caller: Caller, id: string): Promise<{ deleted: boolean; deactivated: boolean }> {
  const [t] = await db
    .select({ t: templates, store: secondaryStores })
    .from(templates)
    .leftJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(and(eq(templates.id, id), templateManageScope(caller)));
  if (!t) throw notFound("Template");
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(instances)
    .where(and(or(eq(instances.templateId, id), eq(instances.isoId, id)), ne(instances.state, "expunged")));
  if (n > 0)
    throw conflict(`Template ${t.t.name} is used by ${n} instance${n === 1 ? "" : "s"}; detach it, or destroy and expunge them, first`);
  const [{ history } = { history: 0 }] = await db.select({ history: count() }).from(instances).where(eq(instances.templateId, id));
  const copied = await copyStores(db, id);
  const result = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(templates).where(eq(templates.id, id)).for("update");
    if (!row) throw notFound("Template");
    // Its copies in other zones go with it (their rows by cascade), their GiB given back too.
    const copiesGib = await countedCopyGib(tx, id);
    if (row.accountId && row.state === "active")
      await release(tx, row.accountId, { templates: 1, secondary_storage_gib: row.storedGib + copiesGib });
    else if (row.accountId && copiesGib > 0) await release(tx, row.accountId, { secondary_storage_gib: copiesGib });
    await tx.delete(templateZoneCopies).where(eq(templateZoneCopies.templateId, id));
    // Billed from Ready until deleted (or made inactive): the fact stops it, once.
    if (row.state === "active" && row.status === "ready") await recordTemplateUsage(tx, "DELETE", row, { key: `${row.id}:DELETE` });
    const event = {
      resourceType: "template",
      resourceId: id,
      actorUserId: caller.userId,
      accountId: row.accountId,
      domainId: row.domainId,
      domainPath: row.domainPath,
    };
    if (history === 0) {
      await tx.delete(templates).where(eq(templates.id, id));
      await recordEvent(tx, { ...event, type: "TEMPLATE.DELETE", description: `Deleted template ${row.name}` });
      return { deleted: true, deactivated: false };
    }
    await tx.update(templates).set({ state: "inactive", storedGib: 0 }).where(eq(templates.id, id));
    await recordEvent(tx, {
      ...event,
      type: "TEMPLATE.DEACTIVATE",
      description: `Template ${row.name} is kept for the records of expunged instances and made inactive`,
    });
    return { deleted: false, deactivated: true };
  });
  if (t.store) await removeImageFiles(t.store, id);
  for (const store of copied) await removeCopyFiles(store, t.t);
  return result;
}
