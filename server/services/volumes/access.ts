import { and, eq, ne, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { type diskOfferings, volumes } from "@/db/schema";
import { type Caller, ownedCondition } from "@/server/authz/caller";
import type { Volume } from "@/server/orchestrator/volume-state";
import { recordEvent } from "@/server/services/events";
import { badRequest, notFound } from "@/server/services/errors";
import type { Deltas } from "@/server/services/limits";

export type { Volume };

/** The one scope condition of the volumes table (list and get-by-id): own account, subtree, or all. */
export const volumeScope = (caller: Caller): SQL | undefined =>
  ownedCondition(caller, { accountId: volumes.accountId, domainPath: volumes.domainPath });

/** A volume in the caller's scope, or NOT_FOUND (also for expunged volumes: they are gone). */
export async function getVolumeInScope(db: DbOrTx, caller: Caller, id: string): Promise<Volume> {
  const [vol] = await db
    .select()
    .from(volumes)
    .where(and(eq(volumes.id, id), ne(volumes.state, "expunged"), volumeScope(caller)));
  if (!vol) throw notFound("Volume");
  return vol;
}

/** What a volume counts against its owner's limits while it exists (not destroyed). */
export const volumeDeltas = (sizeGib: number, count = 1): Deltas => ({ volumes: count, primary_storage_gib: sizeGib * count });

/** Whether the volume's limits are still counted: from creation (or recovery) until destroyed. */
export const countsAgainstLimits = (vol: Pick<Volume, "destroyedAt" | "state">) => vol.destroyedAt === null && vol.state !== "expunged";

/** An audit event about a volume, in the transaction of the change it records. */
export function recordVolumeEvent(
  tx: DbOrTx,
  vol: Pick<Volume, "id" | "accountId" | "domainId" | "domainPath">,
  type: string,
  description: string,
  opts: { actor?: string | null; level?: "info" | "warn" | "error"; details?: Record<string, unknown> } = {},
) {
  return recordEvent(tx, {
    type,
    description,
    level: opts.level,
    actorUserId: opts.actor ?? null,
    accountId: vol.accountId,
    domainId: vol.domainId,
    domainPath: vol.domainPath,
    resourceType: "volume",
    resourceId: vol.id,
    details: opts.details,
  });
}

/** The size a new volume gets from its offering: fixed, or the asked size within the custom bounds. */
export function sizeFromOffering(o: typeof diskOfferings.$inferSelect, asked: number | undefined, field = "sizeGib"): number {
  if (!o.customSize) {
    if (asked !== undefined && asked !== o.sizeGib)
      throw badRequest(
        `Disk offering ${o.name} has a fixed size of ${o.sizeGib} GiB; choose a custom-size offering for ${asked} GiB`,
        field,
      );
    return o.sizeGib!;
  }
  if (asked === undefined) throw badRequest(`Disk offering ${o.name} needs a size between ${o.minGib} and ${o.maxGib} GiB`, field);
  if ((o.minGib !== null && asked < o.minGib) || (o.maxGib !== null && asked > o.maxGib))
    throw badRequest(`Size must be between ${o.minGib} and ${o.maxGib} GiB for disk offering ${o.name}`, field);
  return asked;
}
