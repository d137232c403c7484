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

/** computeOffering and diskOffering routers. */
export const offeringRouters = { computeOffering, diskOffering };
