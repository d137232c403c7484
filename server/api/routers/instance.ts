import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import {
  attachIsoInput,
  bulkInstanceInput,
  changeOfferingInput,
  deployInstanceInput,
  destroyInstanceInput,
  instanceIdInput,
  listInstancesInput,
  stopInstanceInput,
} from "@/lib/validation/instances";
import { deployChoices } from "@/server/services/instances/access";
import * as ops from "@/server/services/instances/operations";
import * as iso from "@/server/services/instances/iso";
import { getInstanceDetail, listInstances } from "@/server/services/instances/queries";

/** Every signed-in caller runs VMs in its own account; admins also see their scope's VMs. */
export const instanceRouter = createTRPCRouter({
  list: protectedProcedure.input(listInstancesInput).query(({ ctx, input }) => listInstances(ctx.db, ctx.caller, input)),
  get: protectedProcedure.input(instanceIdInput).query(({ ctx, input }) => getInstanceDetail(ctx.db, ctx.caller, input.id)),
  deployChoices: protectedProcedure.query(({ ctx }) => deployChoices(ctx.db, ctx.caller)),
  deploy: protectedProcedure.input(deployInstanceInput).mutation(({ ctx, input }) => ops.deployInstances(ctx.db, ctx.caller, input)),
  start: protectedProcedure.input(instanceIdInput).mutation(({ ctx, input }) => ops.startInstance(ctx.db, ctx.caller, input.id)),
  stop: protectedProcedure
    .input(stopInstanceInput)
    .mutation(({ ctx, input }) => ops.stopInstance(ctx.db, ctx.caller, input.id, input.force)),
  reboot: protectedProcedure.input(instanceIdInput).mutation(({ ctx, input }) => ops.rebootInstance(ctx.db, ctx.caller, input.id)),
  destroy: protectedProcedure
    .input(destroyInstanceInput)
    .mutation(({ ctx, input }) => ops.destroyInstance(ctx.db, ctx.caller, input.id, undefined, undefined, { expunge: input.expunge })),
  recover: protectedProcedure.input(instanceIdInput).mutation(({ ctx, input }) => ops.recoverInstance(ctx.db, ctx.caller, input.id)),
  expunge: protectedProcedure.input(instanceIdInput).mutation(({ ctx, input }) => ops.expungeInstance(ctx.db, ctx.caller, input.id)),
  changeOffering: protectedProcedure.input(changeOfferingInput).mutation(({ ctx, input }) => ops.changeOffering(ctx.db, ctx.caller, input)),
  isoChoices: protectedProcedure.input(instanceIdInput).query(({ ctx, input }) => iso.isoChoices(ctx.db, ctx.caller, input.id)),
  attachIso: protectedProcedure.input(attachIsoInput).mutation(({ ctx, input }) => iso.attachIso(ctx.db, ctx.caller, input)),
  detachIso: protectedProcedure.input(instanceIdInput).mutation(({ ctx, input }) => iso.detachIso(ctx.db, ctx.caller, input.id)),
  bulk: protectedProcedure.input(bulkInstanceInput).mutation(({ ctx, input }) => ops.bulkAction(ctx.db, ctx.caller, input)),
});
