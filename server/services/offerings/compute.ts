import { eq } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { computeOfferings, domains } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import type { CreateComputeOfferingInput, UpdateComputeOfferingInput } from "@/lib/validation/offerings";
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

export type ComputeOffering = typeof computeOfferings.$inferSelect;
export type ComputeOfferingView = OfferingView<typeof computeOfferings>;

export const computeKind: OfferingKind<typeof computeOfferings> = {
  table: computeOfferings,
  noun: "Compute offering",
  resourceType: "compute_offering",
  sortable: {
    name: computeOfferings.name,
    cpuCores: computeOfferings.cpuCores,
    cpuMhz: computeOfferings.cpuMhz,
    memoryMib: computeOfferings.memoryMib,
    state: computeOfferings.state,
    scope: domains.name,
    createdAt: computeOfferings.createdAt,
  },
};

/** What instances are sized from: changing it under running instances would make them lie. */
const specFields = [
  ["cpuCores", "vCPUs"],
  ["cpuMhz", "CPU speed"],
  ["memoryMib", "memory"],
] as const;

export const listComputeOfferings = (db: DbOrTx, caller: Caller, input: OfferingListInput) => listOfferings(db, caller, computeKind, input);

export const getComputeOffering = (db: DbOrTx, caller: Caller, id: string) => getOffering(db, caller, computeKind, id);

export async function createComputeOffering(db: Db, caller: Caller, input: CreateComputeOfferingInput): Promise<ComputeOfferingView> {
  const scope = await resolveScope(db, caller, input.domainId);
  try {
    const id = await db.transaction(async (tx) => {
      const [o] = await tx
        .insert(computeOfferings)
        .values({
          name: input.name,
          displayText: input.displayText ?? null,
          cpuCores: input.cpuCores,
          cpuMhz: input.cpuMhz,
          memoryMib: input.memoryMib,
          cpuCap: input.cpuCap,
          hostTags: input.hostTags,
          domainId: scope?.id ?? null,
        })
        .returning();
      await offeringEvent(
        tx,
        caller,
        computeKind,
        { id: o!.id, domainId: scope?.id ?? null, domainPath: scope?.path ?? null },
        "CREATE",
        `Created compute offering ${input.name} (${input.cpuCores} vCPU × ${input.cpuMhz} MHz, ${input.memoryMib} MiB) in ${scope ? `domain ${scope.name}` : "the public scope"}`,
      );
      return o!.id;
    });
    return getComputeOffering(db, caller, id);
  } catch (e) {
    rethrowNameConflict(e, computeKind, input.name, scope?.name ?? null);
  }
}

/** Edits everything but the scope; the size (vCPUs, MHz, memory) only while nothing uses the offering. */
export async function updateComputeOffering(db: Db, caller: Caller, input: UpdateComputeOfferingInput): Promise<ComputeOfferingView> {
  const o = await getManagedOffering(db, caller, computeKind, input.id);
  const changedSpecs = specFields.filter(([f]) => input[f] !== o[f]);
  try {
    await db.transaction(async (tx) => {
      await lockOffering(tx, computeOfferings, o.id);
      if (changedSpecs.length > 0) {
        const users = await offeringReferences(tx, computeOfferings, o.id);
        if (users.length > 0) {
          throw new ServiceError(
            "PRECONDITION_FAILED",
            `Compute offering ${o.name} is in use (${users.join(", ")}): its ${specFields.map(([, l]) => l).join(", ")} cannot change. Create a new offering and deactivate this one instead`,
            changedSpecs[0]![0],
          );
        }
      }
      await tx
        .update(computeOfferings)
        .set({
          name: input.name,
          displayText: input.displayText ?? null,
          cpuCores: input.cpuCores,
          cpuMhz: input.cpuMhz,
          memoryMib: input.memoryMib,
          cpuCap: input.cpuCap,
          hostTags: input.hostTags,
        })
        .where(eq(computeOfferings.id, o.id));
      await offeringEvent(
        tx,
        caller,
        computeKind,
        o,
        "UPDATE",
        `Updated compute offering ${input.name === o.name ? o.name : `${o.name} (now ${input.name})`}`,
        {
          before: { name: o.name, cpuCores: o.cpuCores, cpuMhz: o.cpuMhz, memoryMib: o.memoryMib, cpuCap: o.cpuCap, hostTags: o.hostTags },
        },
      );
    });
  } catch (e) {
    rethrowNameConflict(e, computeKind, input.name, o.domainId === null ? null : o.domainName);
  }
  return getComputeOffering(db, caller, o.id);
}

export const setComputeOfferingState = (db: Db, caller: Caller, input: { id: string; state: "active" | "inactive" }) =>
  setOfferingState(db, caller, computeKind, input);

export const deleteComputeOffering = (db: Db, caller: Caller, id: string) => deleteOffering(db, caller, computeKind, id);

/** For deploying an instance of an account in `ownerDomainPath`: active and visible to that domain. */
export const usableComputeOffering = (db: DbOrTx, id: string, ownerDomainPath: string) =>
  usableOffering(db, computeKind, id, ownerDomainPath);
