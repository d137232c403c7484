import { eq } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { diskOfferings, domains } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import type { CreateDiskOfferingInput, UpdateDiskOfferingInput } from "@/lib/validation/offerings";
import { ServiceError } from "@/server/core/errors";
import {
  deleteOffering,
  getManagedOffering,
  getOffering,
  listOfferings,
  lockOffering,
  offeringEvent,
  offeringReferences,
  type OfferingKind,
  type OfferingListInput,
  type OfferingView,
  resolveScope,
  rethrowNameConflict,
  setOfferingState,
  usableOffering,
} from "./common";

export type DiskOffering = typeof diskOfferings.$inferSelect;
export type DiskOfferingView = OfferingView<typeof diskOfferings>;

export const diskKind: OfferingKind<typeof diskOfferings> = {
  table: diskOfferings,
  noun: "Disk offering",
  resourceType: "disk_offering",
  sortable: {
    name: diskOfferings.name,
    sizeGib: diskOfferings.sizeGib,
    minGib: diskOfferings.minGib,
    maxGib: diskOfferings.maxGib,
    state: diskOfferings.state,
    scope: domains.name,
    createdAt: diskOfferings.createdAt,
  },
};

/** A fixed size keeps only sizeGib; a custom size keeps only the bounds (the schema checked them). */
function sizeColumns(input: { customSize: boolean; sizeGib?: number | null; minGib?: number | null; maxGib?: number | null }) {
  return input.customSize
    ? { customSize: true, sizeGib: null, minGib: input.minGib ?? null, maxGib: input.maxGib ?? null }
    : { customSize: false, sizeGib: input.sizeGib ?? null, minGib: null, maxGib: null };
}

const describeSize = (s: ReturnType<typeof sizeColumns>) => (s.customSize ? `custom ${s.minGib}–${s.maxGib} GiB` : `${s.sizeGib} GiB`);

export const listDiskOfferings = (db: DbOrTx, caller: Caller, input: OfferingListInput) => listOfferings(db, caller, diskKind, input);

export const getDiskOffering = (db: DbOrTx, caller: Caller, id: string) => getOffering(db, caller, diskKind, id);

export async function createDiskOffering(db: Db, caller: Caller, input: CreateDiskOfferingInput): Promise<DiskOfferingView> {
  const scope = await resolveScope(db, caller, input.domainId);
  const size = sizeColumns(input);
  try {
    const id = await db.transaction(async (tx) => {
      const [o] = await tx
        .insert(diskOfferings)
        .values({
          name: input.name,
          displayText: input.displayText ?? null,
          ...size,
          storageTags: input.storageTags,
          domainId: scope?.id ?? null,
        })
        .returning();
      await offeringEvent(
        tx,
        caller,
        diskKind,
        { id: o!.id, domainId: scope?.id ?? null, domainPath: scope?.path ?? null },
        "CREATE",
        `Created disk offering ${input.name} (${describeSize(size)}) in ${scope ? `domain ${scope.name}` : "the public scope"}`,
      );
      return o!.id;
    });
    return getDiskOffering(db, caller, id);
  } catch (e) {
    rethrowNameConflict(e, diskKind, input.name, scope?.name ?? null);
  }
}

/** Edits everything but the scope; the size only while no volume uses the offering. */
export async function updateDiskOffering(db: Db, caller: Caller, input: UpdateDiskOfferingInput): Promise<DiskOfferingView> {
  const o = await getManagedOffering(db, caller, diskKind, input.id);
  const size = sizeColumns(input);
  const sizeChanged = (["customSize", "sizeGib", "minGib", "maxGib"] as const).find((f) => size[f] !== o[f]);
  try {
    await db.transaction(async (tx) => {
      await lockOffering(tx, diskOfferings, o.id);
      if (sizeChanged) {
        const users = await offeringReferences(tx, diskOfferings, o.id);
        if (users.length > 0) {
          throw new ServiceError(
            "PRECONDITION_FAILED",
            `Disk offering ${o.name} is in use (${users.join(", ")}): its size cannot change. Create a new offering and deactivate this one instead`,
            sizeChanged,
          );
        }
      }
      await tx
        .update(diskOfferings)
        .set({ name: input.name, displayText: input.displayText ?? null, ...size, storageTags: input.storageTags })
        .where(eq(diskOfferings.id, o.id));
      await offeringEvent(
        tx,
        caller,
        diskKind,
        o,
        "UPDATE",
        `Updated disk offering ${input.name === o.name ? o.name : `${o.name} (now ${input.name})`}`,
        {
          before: {
            name: o.name,
            customSize: o.customSize,
            sizeGib: o.sizeGib,
            minGib: o.minGib,
            maxGib: o.maxGib,
            storageTags: o.storageTags,
          },
        },
      );
    });
  } catch (e) {
    rethrowNameConflict(e, diskKind, input.name, o.domainId === null ? null : o.domainName);
  }
  return getDiskOffering(db, caller, o.id);
}

export const setDiskOfferingState = (db: Db, caller: Caller, input: { id: string; state: "active" | "inactive" }) =>
  setOfferingState(db, caller, diskKind, input);

export const deleteDiskOffering = (db: Db, caller: Caller, id: string) => deleteOffering(db, caller, diskKind, id);

/** For creating a volume of an account in `ownerDomainPath`: active and visible to that domain. */
export const usableDiskOffering = (db: DbOrTx, id: string, ownerDomainPath: string) => usableOffering(db, diskKind, id, ownerDomainPath);
