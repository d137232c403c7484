import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import {
  addSecurityGroupRuleInput,
  createSecurityGroupInput,
  removeSecurityGroupRuleInput,
  securityGroupIdInput,
  setNicSecurityGroupsInput,
} from "@/lib/validation/security-groups";
import { createSharedNetworkInput } from "@/lib/validation/shared-networks";
import * as groups from "@/server/services/security-groups/groups";
import * as ops from "@/server/services/security-groups/operations";
import { createSharedNetwork, listSharedNetworks } from "@/server/services/networks/shared";

/** Security groups: every signed-in caller's own account; admins also see their scope's. */
export const securityGroupRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => groups.listSecurityGroups(ctx.db, ctx.caller)),
  get: protectedProcedure
    .input(securityGroupIdInput)
    .query(({ ctx, input }) => groups.getSecurityGroupDetail(ctx.db, ctx.caller, input.id)),
  create: protectedProcedure
    .input(createSecurityGroupInput)
    .mutation(({ ctx, input }) => groups.createSecurityGroup(ctx.db, ctx.caller, input)),
  delete: protectedProcedure.input(securityGroupIdInput).mutation(({ ctx, input }) => ops.deleteGroup(ctx.db, ctx.caller, input.id)),
  addRule: protectedProcedure.input(addSecurityGroupRuleInput).mutation(({ ctx, input }) => ops.addRule(ctx.db, ctx.caller, input)),
  removeRule: protectedProcedure
    .input(removeSecurityGroupRuleInput)
    .mutation(({ ctx, input }) => ops.removeRule(ctx.db, ctx.caller, input.id)),
  setNicGroups: protectedProcedure
    .input(setNicSecurityGroupsInput)
    .mutation(({ ctx, input }) => ops.setNicGroups(ctx.db, ctx.caller, input)),
});

/** Shared networks (root admin). */
export const sharedNetworkRouter = createTRPCRouter({
  list: permissionProcedure("infra.read").query(({ ctx }) => listSharedNetworks(ctx.db, ctx.caller)),
  create: permissionProcedure("infra.manage")
    .input(createSharedNetworkInput)
    .mutation(({ ctx, input }) => createSharedNetwork(ctx.db, ctx.caller, input)),
});
