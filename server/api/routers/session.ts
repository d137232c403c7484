import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { permissionsOf } from "@/server/authz/permissions";

export const sessionRouter = createTRPCRouter({
  /** Who is signed in and what they may do; null when signed out. Drives the navigation. */
  me: publicProcedure.query(({ ctx }) =>
    ctx.caller ? { ...ctx.caller, permissions: permissionsOf(ctx.caller.accountType) } : null,
  ),
});
