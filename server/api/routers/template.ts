import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import {
  copyTemplateToZoneInput,
  listImagesInput,
  listTemplatesInput,
  registerFromUrlInput,
  registerTemplateInput,
  shareTemplateInput,
  startUploadInput,
  templateIdInput,
  updateTemplateInput,
} from "@/lib/validation/templates";
import { env } from "@/server/env";
import * as templates from "@/server/services/templates";
import { registerFromUrl, startUpload } from "@/server/services/template-register";
import { shareTemplate, templateSharing } from "@/server/services/template-sharing";
import { copyTemplateToZone, listTemplateCopies } from "@/server/services/template-copy";

export const templateRouter = createTRPCRouter({
  /** Everyone: what templateScope lets the caller see (the root admin sees all, with storage details). */
  list: protectedProcedure.input(listTemplatesInput).query(({ ctx, input }) => templates.listTemplates(ctx.db, ctx.caller, input)),
  /** The Templates and ISOs pages: status, percent, owner, sharing. */
  listImages: protectedProcedure.input(listImagesInput).query(({ ctx, input }) => templates.listImages(ctx.db, ctx.caller, input)),
  get: protectedProcedure.input(templateIdInput).query(({ ctx, input }) => templates.getImage(ctx.db, ctx.caller, input.id)),
  /** Root admin: an image already on a secondary store. */
  register: permissionProcedure("infra.manage")
    .input(registerTemplateInput)
    .mutation(({ ctx, input }) => templates.registerTemplate(ctx.db, ctx.caller, input)),
  /** Everyone: a template or ISO fetched from an http(s) URL by a job. */
  registerFromUrl: protectedProcedure.input(registerFromUrlInput).mutation(({ ctx, input }) => registerFromUrl(ctx.db, ctx.caller, input)),
  /** Everyone: an upload from the browser; the chunks go to /api/uploads/<id>. */
  startUpload: protectedProcedure
    .input(startUploadInput)
    .mutation(({ ctx, input }) => startUpload(ctx.db, ctx.caller, input, env().STRATUS_TEMPLATE_MAX_MIB * 1024 * 1024)),
  sharing: protectedProcedure.input(templateIdInput).query(({ ctx, input }) => templateSharing(ctx.db, ctx.caller, input.id)),
  share: protectedProcedure.input(shareTemplateInput).mutation(({ ctx, input }) => shareTemplate(ctx.db, ctx.caller, input)),
  update: permissionProcedure("infra.manage")
    .input(updateTemplateInput)
    .mutation(({ ctx, input }) => templates.updateTemplate(ctx.db, ctx.caller, input)),
  /** The owner, a reseller above it, or the root admin: a job copies the image to the zone's secondary store. */
  copyToZone: protectedProcedure.input(copyTemplateToZoneInput).mutation(({ ctx, input }) => copyTemplateToZone(ctx.db, ctx.caller, input)),
  /** The zones a template is copied to, with each copy's status and percent. */
  copies: protectedProcedure.input(templateIdInput).query(({ ctx, input }) => listTemplateCopies(ctx.db, ctx.caller, input.id)),
  /** The owner, a reseller above it, or the root admin. */
  delete: protectedProcedure.input(templateIdInput).mutation(({ ctx, input }) => templates.deleteTemplate(ctx.db, ctx.caller, input.id)),
});
