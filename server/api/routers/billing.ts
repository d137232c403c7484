import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { addCreditInput, setBalancePolicyInput, statementInput } from "@/lib/validation/billing";
import { idSchema } from "@/lib/validation/common";
import { addCredit, getBalancePolicy, listCredits, removeBalancePolicy, setBalancePolicy } from "@/server/billing/credits";
import { billingOverview } from "@/server/billing/overview";
import { statement, statementMonths } from "@/server/billing/statements";

const accountInput = z.object({ accountId: idSchema.optional() }).optional();

export const billingRouter = createTRPCRouter({
  overview: permissionProcedure("billing.read")
    .input(accountInput)
    .query(({ ctx, input }) => billingOverview(ctx.db, ctx.caller, input?.accountId)),
  credits: permissionProcedure("billing.read")
    .input(accountInput)
    .query(({ ctx, input }) => listCredits(ctx.db, ctx.caller, input?.accountId)),
  statement: permissionProcedure("billing.read")
    .input(statementInput)
    .query(({ ctx, input }) => statement(ctx.db, ctx.caller, input)),
  statementMonths: permissionProcedure("billing.read")
    .input(accountInput)
    .query(({ ctx, input }) => statementMonths(ctx.db, ctx.caller, input?.accountId)),
  addCredit: permissionProcedure("billing.manage")
    .input(addCreditInput)
    .mutation(({ ctx, input }) => addCredit(ctx.db, ctx.caller, input)),
  policy: permissionProcedure("billing.manage")
    .input(z.object({ domainId: idSchema }))
    .query(({ ctx, input }) => getBalancePolicy(ctx.db, ctx.caller, input.domainId)),
  setPolicy: permissionProcedure("billing.manage")
    .input(setBalancePolicyInput)
    .mutation(({ ctx, input }) => setBalancePolicy(ctx.db, ctx.caller, input)),
  removePolicy: permissionProcedure("billing.manage")
    .input(z.object({ domainId: idSchema }))
    .mutation(({ ctx, input }) => removeBalancePolicy(ctx.db, ctx.caller, input.domainId)),
});
