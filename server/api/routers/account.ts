import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { accountIdInput, createAccountInput, renameAccountInput, setAccountStateInput } from "@/lib/validation/identity";
import { idSchema } from "@/lib/validation/common";
import { listInputOf } from "@/server/services/paging";
import * as accounts from "@/server/services/accounts";

/** Columns of the account list a client may sort by. */
const accountSortKeys = ["name", "type", "state", "domainName", "createdAt"] as const;

export const accountRouter = createTRPCRouter({
  list: permissionProcedure("account.read")
    .input(listInputOf(accountSortKeys).extend({ domainId: idSchema.optional(), includeSubdomains: z.boolean().default(true) }))
    .query(({ ctx, input }) => accounts.listAccounts(ctx.db, ctx.caller, input)),
  get: permissionProcedure("account.read")
    .input(accountIdInput)
    .query(({ ctx, input }) => accounts.getAccountDetail(ctx.db, ctx.caller, input.id)),
  /** What a deletion would destroy, for its confirmation. */
  deletionPreview: permissionProcedure("account.manage")
    .input(accountIdInput)
    .query(({ ctx, input }) => accounts.accountDeletionPreview(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("account.manage")
    .input(createAccountInput)
    .mutation(({ ctx, input }) => accounts.createAccount(ctx.db, ctx.caller, input)),
  rename: permissionProcedure("account.manage")
    .input(renameAccountInput)
    .mutation(({ ctx, input }) => accounts.renameAccount(ctx.db, ctx.caller, input)),
  setState: permissionProcedure("account.manage")
    .input(setAccountStateInput)
    .mutation(({ ctx, input }) => accounts.setAccountState(ctx.db, ctx.caller, input)),
  /** Starts the account's cleanup job; returns it to follow. */
  delete: permissionProcedure("account.manage")
    .input(accountIdInput)
    .mutation(({ ctx, input }) => accounts.deleteAccount(ctx.db, ctx.caller, input.id)),
});
