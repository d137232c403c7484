import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import {
  createComputeOfferingInput,
  createDiskOfferingInput,
  offeringIdInput,
  offeringListFilters,
  setOfferingStateInput,
  updateComputeOfferingInput,
  updateDiskOfferingInput,
} from "@/lib/validation/offerings";
import * as offerings from "@/server/services/offerings";
import { listInputOf, sortKeysOf } from "@/server/services/paging";
import { computeKind } from "@/server/services/offerings/compute";
import { diskKind } from "@/server/services/offerings/disk";
import { networkOfferingKind } from "@/server/services/offerings/network";
import { createNetworkOfferingInput, networkGuestTypes, updateNetworkOfferingInput } from "@/lib/validation/networks";
import { z } from "zod";

const computeListInput = listInputOf(sortKeysOf(computeKind.sortable)).extend(offeringListFilters);
const diskListInput = listInputOf(sortKeysOf(diskKind.sortable)).extend(offeringListFilters);

const computeOffering = createTRPCRouter({
  list: permissionProcedure("offering.read")
    .input(computeListInput)
    .query(({ ctx, input }) => offerings.listComputeOfferings(ctx.db, ctx.caller, input)),
  get: permissionProcedure("offering.read")
    .input(offeringIdInput)
    .query(({ ctx, input }) => offerings.getComputeOffering(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("offering.manage")
    .input(createComputeOfferingInput)
    .mutation(({ ctx, input }) => offerings.createComputeOffering(ctx.db, ctx.caller, input)),
  update: permissionProcedure("offering.manage")
    .input(updateComputeOfferingInput)
    .mutation(({ ctx, input }) => offerings.updateComputeOffering(ctx.db, ctx.caller, input)),
  setState: permissionProcedure("offering.manage")
    .input(setOfferingStateInput)
    .mutation(({ ctx, input }) => offerings.setComputeOfferingState(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("offering.manage")
    .input(offeringIdInput)
    .mutation(({ ctx, input }) => offerings.deleteComputeOffering(ctx.db, ctx.caller, input.id)),
});

const diskOffering = createTRPCRouter({
  list: permissionProcedure("offering.read")
    .input(diskListInput)
    .query(({ ctx, input }) => offerings.listDiskOfferings(ctx.db, ctx.caller, input)),
  get: permissionProcedure("offering.read")
    .input(offeringIdInput)
    .query(({ ctx, input }) => offerings.getDiskOffering(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("offering.manage")
    .input(createDiskOfferingInput)
    .mutation(({ ctx, input }) => offerings.createDiskOffering(ctx.db, ctx.caller, input)),
  update: permissionProcedure("offering.manage")
    .input(updateDiskOfferingInput)
    .mutation(({ ctx, input }) => offerings.updateDiskOffering(ctx.db, ctx.caller, input)),
  setState: permissionProcedure("offering.manage")
    .input(setOfferingStateInput)
    .mutation(({ ctx, input }) => offerings.setDiskOfferingState(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("offering.manage")
    .input(offeringIdInput)
    .mutation(({ ctx, input }) => offerings.deleteDiskOffering(ctx.db, ctx.caller, input.id)),
});

const networkListInput = listInputOf(sortKeysOf(networkOfferingKind.sortable)).extend(offeringListFilters);

const networkOffering = createTRPCRouter({
  list: permissionProcedure("offering.read")
    .input(networkListInput.extend({ guestType: z.enum(networkGuestTypes).optional() }))
    .query(({ ctx, input }) => offerings.listNetworkOfferings(ctx.db, ctx.caller, input)),
  get: permissionProcedure("offering.read")
    .input(offeringIdInput)
    .query(({ ctx, input }) => offerings.getNetworkOffering(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("offering.manage")
    .input(createNetworkOfferingInput)
    .mutation(({ ctx, input }) => offerings.createNetworkOffering(ctx.db, ctx.caller, input)),
  update: permissionProcedure("offering.manage")
    .input(updateNetworkOfferingInput)
    .mutation(({ ctx, input }) => offerings.updateNetworkOffering(ctx.db, ctx.caller, input)),
  setState: permissionProcedure("offering.manage")
    .input(setOfferingStateInput)
    .mutation(({ ctx, input }) => offerings.setNetworkOfferingState(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("offering.manage")
    .input(offeringIdInput)
    .mutation(({ ctx, input }) => offerings.deleteNetworkOffering(ctx.db, ctx.caller, input.id)),
});

/** computeOffering, diskOffering and networkOffering routers. */
export const offeringRouters = { computeOffering, diskOffering, networkOffering };
