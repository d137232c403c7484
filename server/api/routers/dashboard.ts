import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import * as dashboard from "@/server/services/dashboard";

/** The dashboards' cards, one small aggregate each, in the caller's scope (server/services/dashboard.ts). */
export const dashboardRouter = createTRPCRouter({
  vmStates: protectedProcedure.query(({ ctx }) => dashboard.vmStateCounts(ctx.db, ctx.caller)),
  recentInstances: protectedProcedure.query(({ ctx }) => dashboard.recentInstances(ctx.db, ctx.caller)),
  limits: protectedProcedure.query(({ ctx }) => dashboard.limits(ctx.db, ctx.caller)),
  events: permissionProcedure("event.read").query(({ ctx }) => dashboard.recentEvents(ctx.db, ctx.caller)),
  spend: permissionProcedure("billing.read").query(({ ctx }) => dashboard.spend(ctx.db, ctx.caller)),
  health: permissionProcedure("infra.read").query(({ ctx }) => dashboard.health(ctx.db, ctx.caller)),
  capacity: permissionProcedure("infra.read").query(({ ctx }) => dashboard.capacity(ctx.db, ctx.caller)),
  topAccounts: permissionProcedure("account.read").query(({ ctx }) => dashboard.topAccounts(ctx.db, ctx.caller)),
  subtree: permissionProcedure("account.read").query(({ ctx }) => dashboard.subtree(ctx.db, ctx.caller)),
  revenue: permissionProcedure("pricing.manage").query(({ ctx }) => dashboard.revenue(ctx.db, ctx.caller)),
});
