import { z } from "zod";
import { idSchema } from "@/lib/validation/common";
import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import { metricsForHost, metricsForInstance } from "@/server/services/metrics";

const windowInput = z.object({
  id: idSchema,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 31)
    .default(60),
});

export const metricsRouter = createTRPCRouter({
  /** Scoped like instance.get: a VM outside the caller's scope is NOT_FOUND. */
  forInstance: protectedProcedure.input(windowInput).query(({ ctx, input }) => metricsForInstance(ctx.db, ctx.caller, input)),
  forHost: permissionProcedure("infra.read")
    .input(windowInput)
    .query(({ ctx, input }) => metricsForHost(ctx.db, ctx.caller, input)),
});
