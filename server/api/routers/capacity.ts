import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { capacitySummary } from "@/server/services/capacity";

/** Compute capacity per zone, cluster and host (root admin). */
export const capacityRouter = createTRPCRouter({
  summary: permissionProcedure("infra.read").query(({ ctx }) => capacitySummary(ctx.db, ctx.caller)),
});
