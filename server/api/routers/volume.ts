import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import {
  attachVolumeInput,
  createVolumeInput,
  listVolumesInput,
  migrateVolumeInput,
  resizeVolumeInput,
  volumeIdInput,
} from "@/lib/validation/volumes";
import * as ops from "@/server/services/volumes/operations";
import { createTemplateFromVolumeInput } from "@/lib/validation/templates";
import { createTemplateFromVolume } from "@/server/services/template-images/from-source";
import { getVolumeDetail, listVolumes } from "@/server/services/volumes/queries";

/** Every signed-in caller keeps volumes in its own account; admins also see their scope's; pools are the root admin's. */
export const volumeRouter = createTRPCRouter({
  list: protectedProcedure.input(listVolumesInput).query(({ ctx, input }) => listVolumes(ctx.db, ctx.caller, input)),
  get: protectedProcedure.input(volumeIdInput).query(({ ctx, input }) => getVolumeDetail(ctx.db, ctx.caller, input.id)),
  create: protectedProcedure.input(createVolumeInput).mutation(({ ctx, input }) => ops.createVolume(ctx.db, ctx.caller, input)),
  attach: protectedProcedure.input(attachVolumeInput).mutation(({ ctx, input }) => ops.attachVolume(ctx.db, ctx.caller, input)),
  detach: protectedProcedure.input(volumeIdInput).mutation(({ ctx, input }) => ops.detachVolume(ctx.db, ctx.caller, input.id)),
  resize: protectedProcedure.input(resizeVolumeInput).mutation(({ ctx, input }) => ops.resizeVolume(ctx.db, ctx.caller, input)),
  destroy: protectedProcedure.input(volumeIdInput).mutation(({ ctx, input }) => ops.destroyVolume(ctx.db, ctx.caller, input.id)),
  recover: protectedProcedure.input(volumeIdInput).mutation(({ ctx, input }) => ops.recoverVolume(ctx.db, ctx.caller, input.id)),
  expunge: protectedProcedure.input(volumeIdInput).mutation(({ ctx, input }) => ops.expungeVolume(ctx.db, ctx.caller, input.id)),
  createTemplate: protectedProcedure
    .input(createTemplateFromVolumeInput)
    .mutation(({ ctx, input }) => createTemplateFromVolume(ctx.db, ctx.caller, input)),
  migrate: permissionProcedure("infra.manage")
    .input(migrateVolumeInput)
    .mutation(({ ctx, input }) => ops.migrateVolume(ctx.db, ctx.caller, input)),
});
