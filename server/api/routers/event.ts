import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { eventFilters } from "@/lib/validation/events";
import { pageInput } from "@/server/services/paging";
import { listEvents } from "@/server/services/events";

export const eventRouter = createTRPCRouter({
  list: permissionProcedure("event.read")
    .input(pageInput.extend(eventFilters))
    .query(({ ctx, input }) => listEvents(ctx.db, ctx.caller, input)),
});
