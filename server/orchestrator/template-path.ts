import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { templateZoneCopies } from "@/db/schema";

/**
 * The image file of a template (or ISO) for a VM in `zoneId`: its own when it lives there (or in
 * every zone), else its Ready copy in that zone (template_zone_copies, made by template.copy).
 */
export async function templatePathInZone(db: DbOrTx, t: { id: string; path: string; zoneId: string | null }, zoneId: string) {
  if (t.zoneId === null || t.zoneId === zoneId) return t.path;
  const [copy] = await db
    .select({ path: templateZoneCopies.path })
    .from(templateZoneCopies)
    .where(and(eq(templateZoneCopies.templateId, t.id), eq(templateZoneCopies.zoneId, zoneId), eq(templateZoneCopies.status, "ready")));
  return copy?.path ?? t.path;
}
