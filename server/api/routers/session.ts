import { createTRPCRouter, protectedProcedure, publicProcedure } from "@/server/api/trpc";
import { sessionIdInput } from "@/lib/validation/identity";
import { permissionsOf } from "@/server/authz/permissions";
import { endOtherSessions, endOwnSession, listOwnSessions } from "@/server/auth/session";

export const sessionRouter = createTRPCRouter({
  /** Who is signed in and what they may do; null when signed out. Drives the navigation. */
  me: publicProcedure.query(({ ctx }) => (ctx.caller ? { ...ctx.caller, permissions: permissionsOf(ctx.caller.accountType) } : null)),
  /** The caller's own active sign-ins (Settings). */
  list: protectedProcedure.query(({ ctx }) => listOwnSessions(ctx.db, ctx.caller, ctx.session?.id)),
  /** Signs out one of the caller's own sessions; another user's is NOT_FOUND. */
  end: protectedProcedure.input(sessionIdInput).mutation(({ ctx, input }) => endOwnSession(ctx.db, ctx.caller, input.id)),
  /** Signs out every session of the caller but this one. */
  endOthers: protectedProcedure.mutation(async ({ ctx }) => ({
    ended: await endOtherSessions(ctx.db, ctx.caller.userId, ctx.session?.id, "ended_by_user"),
  })),
});
