import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { eventFilters } from "@/lib/validation/events";
import { listInputOf, sortKeysOf } from "@/server/services/paging";
import { eventSort, listEvents } from "@/server/services/events";

export const eventRouter = createTRPCRouter({
  list: permissionProcedure("event.read")
    .input(listInputOf(sortKeysOf(eventSort)).extend(eventFilters))
    .query(({ ctx, input }) => listEvents(ctx.db, ctx.caller, input)),
});
