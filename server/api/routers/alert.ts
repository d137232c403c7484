import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import { listAlertsInput, setAlertSubscriptionInput, updateAlertRuleInput } from "@/lib/validation/alerts";
import {
  alertCounts,
  getAlertSubscription,
  listAlertRules,
  listAlerts,
  markAlertsRead,
  setAlertSubscription,
  updateAlertRule,
} from "@/server/services/alerts";

/** Alerts in the caller's scope, the bell's counts, e-mail subscription; rules and thresholds (root admin). */
export const alertRouter = createTRPCRouter({
  list: protectedProcedure.input(listAlertsInput).query(({ ctx, input }) => listAlerts(ctx.db, ctx.caller, input)),
  counts: protectedProcedure.query(({ ctx }) => alertCounts(ctx.db, ctx.caller)),
  markRead: protectedProcedure.mutation(({ ctx }) => markAlertsRead(ctx.db, ctx.caller)),
  subscription: protectedProcedure.query(({ ctx }) => getAlertSubscription(ctx.db, ctx.caller)),
  subscribe: protectedProcedure
    .input(setAlertSubscriptionInput)
    .mutation(({ ctx, input }) => setAlertSubscription(ctx.db, ctx.caller, input)),
  rules: permissionProcedure("infra.read").query(({ ctx }) => listAlertRules(ctx.db, ctx.caller)),
  updateRule: permissionProcedure("infra.manage")
    .input(updateAlertRuleInput)
    .mutation(({ ctx, input }) => updateAlertRule(ctx.db, ctx.caller, input)),
});
