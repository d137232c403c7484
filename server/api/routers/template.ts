import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import { listTemplatesInput, registerTemplateInput, templateIdInput, updateTemplateInput } from "@/lib/validation/templates";
import * as templates from "@/server/services/templates";

export const templateRouter = createTRPCRouter({
  /** Everyone: public templates and the caller's account's own (the root admin sees all, with storage details). */
  list: protectedProcedure.input(listTemplatesInput).query(({ ctx, input }) => templates.listTemplates(ctx.db, ctx.caller, input)),
  register: permissionProcedure("infra.manage")
    .input(registerTemplateInput)
    .mutation(({ ctx, input }) => templates.registerTemplate(ctx.db, ctx.caller, input)),
  update: permissionProcedure("infra.manage")
    .input(updateTemplateInput)
    .mutation(({ ctx, input }) => templates.updateTemplate(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("infra.manage")
    .input(templateIdInput)
    .mutation(({ ctx, input }) => templates.deleteTemplate(ctx.db, ctx.caller, input.id)),
});
