import { and, eq, ne } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { type diskOfferings, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { volumeScope } from "@/server/authz/scopes";
import type { Volume } from "@/server/core/volume-transition";
import { badRequest, notFound } from "@/server/core/errors";

export type { Volume };

/** A volume in the caller's scope, or NOT_FOUND (also for expunged volumes: they are gone). */
export async function getVolumeInScope(db: DbOrTx, caller: Caller, id: string): Promise<Volume> {
  const [vol] = await db
    .select()
    .from(volumes)
    .where(and(eq(volumes.id, id), ne(volumes.state, "expunged"), volumeScope(caller)));
  if (!vol) throw notFound("Volume");
  return vol;
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
