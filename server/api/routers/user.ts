import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import {
  changeOwnPasswordInput,
  createUserInput,
  resetPasswordInput,
  setUserStateInput,
  updateUserInput,
  userIdInput,
} from "@/lib/validation/identity";
import { idSchema } from "@/lib/validation/common";
import { listInputOf } from "@/server/services/paging";
import * as users from "@/server/services/users";

/** Columns of the user list a client may sort by. */
const userSortKeys = [
  "username",
  "email",
  "firstName",
  "lastName",
  "accountName",
  "domainName",
  "state",
  "lastLoginAt",
  "createdAt",
] as const;

export const userRouter = createTRPCRouter({
  list: permissionProcedure("user.manage")
    .input(listInputOf(userSortKeys).extend({ accountId: idSchema.optional() }))
    .query(({ ctx, input }) => users.listUsers(ctx.db, ctx.caller, input)),
  create: permissionProcedure("user.manage")
    .input(createUserInput)
    .mutation(({ ctx, input }) => users.createUser(ctx.db, ctx.caller, input)),
  update: permissionProcedure("user.manage")
    .input(updateUserInput)
    .mutation(({ ctx, input }) => users.updateUser(ctx.db, ctx.caller, input)),
  setState: permissionProcedure("user.manage")
    .input(setUserStateInput)
    .mutation(({ ctx, input }) => users.setUserState(ctx.db, ctx.caller, input)),
  resetPassword: permissionProcedure("user.manage")
    .input(resetPasswordInput)
    .mutation(({ ctx, input }) => users.resetPassword(ctx.db, ctx.caller, input)),
  delete: permissionProcedure("user.manage")
    .input(userIdInput)
    .mutation(({ ctx, input }) => users.deleteUser(ctx.db, ctx.caller, input.id)),
  changeOwnPassword: protectedProcedure
    .input(changeOwnPasswordInput)
    .mutation(({ ctx, input }) => users.changeOwnPassword(ctx.db, ctx.caller, input, { ip: ctx.ip, sessionId: ctx.session?.id })),
});
