import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { instanceIdInput } from "@/lib/validation/instances";
import { requestConsoleTicket } from "@/server/console/service";

/** Browser consoles: a short-lived, single-use ticket for the console WebSocket (server/console/proxy.ts). */
export const consoleRouter = createTRPCRouter({
  ticket: protectedProcedure
    .input(instanceIdInput)
    .mutation(({ ctx, input }) => requestConsoleTicket(ctx.db, ctx.caller, ctx.session, input.id, ctx.apiKeyId)),
});
