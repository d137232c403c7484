import { eq } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { domains, networkOfferings } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import type { CreateNetworkOfferingInput, UpdateNetworkOfferingInput } from "@/lib/validation/networks";
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

export type NetworkOffering = typeof networkOfferings.$inferSelect;
export type NetworkOfferingView = OfferingView<typeof networkOfferings>;

export const networkOfferingKind: OfferingKind<typeof networkOfferings> = {
  table: networkOfferings,
  noun: "Network offering",
  resourceType: "network_offering",
  sortable: {
    name: networkOfferings.name,
    guestType: networkOfferings.guestType,
    state: networkOfferings.state,
    scope: domains.name,
    createdAt: networkOfferings.createdAt,
  },
};

export const listNetworkOfferings = (db: DbOrTx, caller: Caller, input: OfferingListInput & { guestType?: string }) =>
  listOfferings(db, caller, networkOfferingKind, input);

export const getNetworkOffering = (db: DbOrTx, caller: Caller, id: string) => getOffering(db, caller, networkOfferingKind, id);

const fieldsOf = (input: CreateNetworkOfferingInput | UpdateNetworkOfferingInput) => ({
  name: input.name,
  displayText: input.displayText ?? null,
  guestType: input.guestType,
  services: input.services,
  egressDefault: input.egressDefault,
  rateLimitMbps: input.rateLimitMbps,
});

export async function createNetworkOffering(db: Db, caller: Caller, input: CreateNetworkOfferingInput): Promise<NetworkOfferingView> {
  const scope = await resolveScope(db, caller, input.domainId);
  try {
    const id = await db.transaction(async (tx) => {
      const [o] = await tx
        .insert(networkOfferings)
        .values({ ...fieldsOf(input), domainId: scope?.id ?? null })
        .returning();
      await offeringEvent(
        tx,
        caller,
        networkOfferingKind,
        { id: o!.id, domainId: scope?.id ?? null, domainPath: scope?.path ?? null },
        "CREATE",
        `Created network offering ${input.name} (${input.guestType}) in ${scope ? `domain ${scope.name}` : "the public scope"}`,
      );
      return o!.id;
    });
    return getNetworkOffering(db, caller, id);
  } catch (e) {
    rethrowNameConflict(e, networkOfferingKind, input.name, scope?.name ?? null);
  }
}

/** Edits everything but the scope; the guest type only while no network uses the offering. */
export async function updateNetworkOffering(db: Db, caller: Caller, input: UpdateNetworkOfferingInput): Promise<NetworkOfferingView> {
  const o = await getManagedOffering(db, caller, networkOfferingKind, input.id);
  try {
    await db.transaction(async (tx) => {
      await lockOffering(tx, networkOfferings, o.id);
      if (input.guestType !== o.guestType) {
        const users = await offeringReferences(tx, networkOfferings, o.id);
        if (users.length > 0)
          throw new ServiceError(
            "PRECONDITION_FAILED",
            `Network offering ${o.name} is in use (${users.join(", ")}): its guest type cannot change`,
            "guestType",
          );
      }
      await tx.update(networkOfferings).set(fieldsOf(input)).where(eq(networkOfferings.id, o.id));
      await offeringEvent(tx, caller, networkOfferingKind, o, "UPDATE", `Updated network offering ${o.name}`, {
        before: {
          name: o.name,
          guestType: o.guestType,
          services: o.services,
          egressDefault: o.egressDefault,
          rateLimitMbps: o.rateLimitMbps,
        },
      });
    });
  } catch (e) {
    rethrowNameConflict(e, networkOfferingKind, input.name, o.domainId === null ? null : o.domainName);
  }
  return getNetworkOffering(db, caller, o.id);
}

export const setNetworkOfferingState = (db: Db, caller: Caller, input: { id: string; state: "active" | "inactive" }) =>
  setOfferingState(db, caller, networkOfferingKind, input);

export const deleteNetworkOffering = (db: Db, caller: Caller, id: string) => deleteOffering(db, caller, networkOfferingKind, id);

/** For a network of an account in `ownerDomainPath`: active and visible to that domain. */
export const usableNetworkOffering = (db: DbOrTx, id: string, ownerDomainPath: string) =>
  usableOffering(db, networkOfferingKind, id, ownerDomainPath);
