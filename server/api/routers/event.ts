import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { idSchema } from "@/lib/validation/common";
import { listInputOf, sortKeysOf } from "@/server/services/paging";
import { eventSort, listEvents } from "@/server/services/events";

export const eventRouter = createTRPCRouter({
  list: permissionProcedure("event.read")
    .input(
      listInputOf(sortKeysOf(eventSort)).extend({
        level: z.enum(["info", "warn", "error"]).optional(),
        type: z.string().max(64).optional(),
        resourceId: idSchema.optional(),
        from: z.date().optional(),
        to: z.date().optional(),
      }),
    )
    .query(({ ctx, input }) => listEvents(ctx.db, ctx.caller, input)),
});
