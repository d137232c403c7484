import { z } from "zod";
import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import { idSchema } from "@/lib/validation/common";
import { setAccountLimitsInput, setDomainLimitsInput } from "@/lib/validation/limits";
import { accountLimits } from "@/server/core/limits";
import * as settings from "@/server/services/limit-settings";

export const limitRouter = createTRPCRouter({
  /** The caller's own account: what the dashboard shows. */
  mine: protectedProcedure.query(({ ctx }) => accountLimits(ctx.db, ctx.caller.accountId)),
  forAccount: permissionProcedure("limit.read")
    .input(z.object({ accountId: idSchema }))
    .query(({ ctx, input }) => settings.getAccountLimits(ctx.db, ctx.caller, input.accountId)),
  forDomain: permissionProcedure("limit.manage")
    .input(z.object({ domainId: idSchema }))
    .query(({ ctx, input }) => settings.getDomainLimits(ctx.db, ctx.caller, input.domainId)),
  setForAccount: permissionProcedure("limit.manage")
    .input(setAccountLimitsInput)
    .mutation(({ ctx, input }) => settings.setAccountLimits(ctx.db, ctx.caller, input)),
  setForDomain: permissionProcedure("limit.manage")
    .input(setDomainLimitsInput)
    .mutation(({ ctx, input }) => settings.setDomainLimits(ctx.db, ctx.caller, input)),
});
