import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { usageFilters, usageSummaryInput } from "@/lib/validation/usage";
import { listInputOf, sortKeysOf } from "@/server/services/paging";
import { listUsageRecords, usageSort, usageSummary } from "@/server/services/usage";

export const usageRouter = createTRPCRouter({
  records: permissionProcedure("usage.read")
    .input(listInputOf(sortKeysOf(usageSort), "desc").extend(usageFilters))
    .query(({ ctx, input }) => listUsageRecords(ctx.db, ctx.caller, input)),
  summary: permissionProcedure("usage.read")
    .input(usageSummaryInput)
    .query(({ ctx, input }) => usageSummary(ctx.db, ctx.caller, input)),
});
