import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { idSchema } from "@/lib/validation/common";
import { z } from "zod";
import { getJobInScope, listJobs } from "@/server/services/jobs";
import { listInputOf } from "@/server/services/paging";

export const jobRouter = createTRPCRouter({
  /** The UI polls this while a job runs (progress, result, error). */
  get: protectedProcedure.input(z.object({ id: idSchema })).query(({ ctx, input }) => getJobInScope(ctx.db, ctx.caller, input.id)),
  /** The caller's jobs (its scope's for admins and resellers), newest first. */
  list: protectedProcedure
    .input(
      listInputOf(["createdAt"], "desc").extend({
        from: z.coerce.date({ error: "From must be a date" }).optional(),
        accountId: idSchema.optional(),
        domainId: idSchema.optional(),
      }),
    )
    .query(({ ctx, input }) => listJobs(ctx.db, ctx.caller, input)),
});
