import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { idSchema } from "@/lib/validation/common";
import { z } from "zod";
import { getJobInScope } from "@/server/services/jobs";

export const jobRouter = createTRPCRouter({
  /** The UI polls this while a job runs (progress, result, error). */
  get: protectedProcedure.input(z.object({ id: idSchema })).query(({ ctx, input }) => getJobInScope(ctx.db, ctx.caller, input.id)),
});
