import { and, desc, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { computeOfferings, instances, templates, zones } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { instanceScope, templateUsableBy } from "@/server/authz/scopes";
import { notFound, badRequest } from "@/server/core/errors";
import { accountOwner, pathIds } from "@/server/core/limits";
import { templateInZone } from "@/server/services/template-copy";

export type Instance = typeof instances.$inferSelect;

/** An instance in the caller's scope, or NOT_FOUND. Expunged instances are gone. */
export async function getInstanceInScope(db: DbOrTx, caller: Caller, id: string): Promise<Instance> {
  const [vm] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.id, id), ne(instances.state, "expunged"), instanceScope(caller)));
  if (!vm) throw notFound("Instance");
  return vm;
}

/** The account that will own a new VM, with its domain (for scope and usage). */
export const ownerOf = accountOwner;

/** A template the owner may deploy in this zone: its own or offered to it (templateUsableBy), a disk image, for the zone (or all zones). */
export async function usableTemplate(db: DbOrTx, owner: { id: string; domainPath: string }, templateId: string, zoneId: string) {
  const [t] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, templateId), templateUsableBy({ accountId: owner.id, domainPath: owner.domainPath })));
  if (!t) throw notFound("Template");
  if (t.format === "iso") throw badRequest(`${t.name} is an ISO; VMs are deployed from templates`, "templateId");
  if (t.zoneId !== null && t.zoneId !== zoneId) {
    const [inZone] = await db
      .select({ id: templates.id })
      .from(templates)
      .where(and(eq(templates.id, t.id), templateInZone(zoneId)));
    if (!inZone) throw badRequest(`Template ${t.name} is not available in this zone; copy it there first`, "templateId");
  }
  return t;
}

export async function enabledZone(db: DbOrTx, zoneId: string) {
  const [z] = await db.select().from(zones).where(eq(zones.id, zoneId));
  if (!z) throw notFound("Zone");
  if (z.state !== "enabled") throw badRequest(`Zone ${z.name} is disabled for new instances`, "zoneId");
  return z;
}

/** Zones, templates and offerings a caller may deploy with (for the deploy wizard). */
export async function deployChoices(db: DbOrTx, caller: Caller) {
  const ancestors = pathIds(caller.domainPath);
  const [zoneRows, templateRows, offeringRows] = await Promise.all([
    db
      .select({ id: zones.id, name: zones.name, description: zones.description })
      .from(zones)
      .where(eq(zones.state, "enabled"))
      .orderBy(zones.name),
    // What the deploy form shows, never where the image lies (paths and stores are for root admins, on the templates page).
    db
      .select({
        id: templates.id,
        name: templates.name,
        displayText: templates.displayText,
        osType: templates.osType,
        hypervisorType: templates.hypervisorType,
        format: templates.format,
        sizeGib: templates.sizeGib,
        zoneId: templates.zoneId,
        /** Other zones it has a Ready copy in. */
        copyZoneIds: sql<
          string[]
        >`array(select c.zone_id from template_zone_copies c where c.template_id = "templates"."id" and c.status = 'ready')`,
        isPublic: templates.isPublic,
      })
      .from(templates)
      .where(and(templateUsableBy(caller), ne(templates.format, "iso")))
      .orderBy(desc(templates.isFeatured), templates.name),
    db
      .select()
      .from(computeOfferings)
      .where(
        and(
          eq(computeOfferings.state, "active"),
          or(isNull(computeOfferings.domainId), ...ancestors.map((id) => eq(computeOfferings.domainId, id))),
        ),
      )
      .orderBy(computeOfferings.cpuCores, computeOfferings.memoryMib),
  ]);
  return { zones: zoneRows, templates: templateRows, offerings: offeringRows };
}
