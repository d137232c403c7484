import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { createDomainInput, domainIdInput, moveDomainInput, renameDomainInput } from "@/lib/validation/identity";
import * as domains from "@/server/services/domains";

export const domainRouter = createTRPCRouter({
  tree: permissionProcedure("domain.read").query(({ ctx }) => domains.listDomainTree(ctx.db, ctx.caller)),
  get: permissionProcedure("domain.read")
    .input(domainIdInput)
    .query(({ ctx, input }) => domains.getDomainInScope(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("domain.manage")
    .input(createDomainInput)
    .mutation(({ ctx, input }) => domains.createDomain(ctx.db, ctx.caller, input)),
  rename: permissionProcedure("domain.manage")
    .input(renameDomainInput)
    .mutation(({ ctx, input }) => domains.renameDomain(ctx.db, ctx.caller, input)),
  move: permissionProcedure("domain.manage")
    .input(moveDomainInput)
    .mutation(({ ctx, input }) => domains.moveDomain(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("domain.manage")
    .input(domainIdInput)
    .mutation(({ ctx, input }) => domains.deleteDomain(ctx.db, ctx.caller, input.id)),
});
