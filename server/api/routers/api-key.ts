import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { apiKeyIdInput, createApiKeyInput, createUserApiKeyInput, listUserApiKeysInput } from "@/lib/validation/api-keys";
import * as keys from "@/server/services/api-keys";

/** API keys for /client/api: a user's own (create, list, regenerate, revoke); admins and resellers list and revoke their scope's. */
export const apiKeyRouter = createTRPCRouter({
  mine: protectedProcedure.query(({ ctx }) => keys.listOwnApiKeys(ctx.db, ctx.caller)),
  create: protectedProcedure.input(createApiKeyInput).mutation(({ ctx, input }) => keys.createOwnApiKey(ctx.db, ctx.caller, input)),
  regenerate: protectedProcedure.input(apiKeyIdInput).mutation(({ ctx, input }) => keys.regenerateApiKey(ctx.db, ctx.caller, input.id)),
  revoke: protectedProcedure.input(apiKeyIdInput).mutation(({ ctx, input }) => keys.revokeApiKey(ctx.db, ctx.caller, input.id)),
  /** A key for a user in scope (or oneself); the secret is returned once. */
  createForUser: protectedProcedure
    .input(createUserApiKeyInput)
    .mutation(({ ctx, input }) => keys.createUserApiKey(ctx.db, ctx.caller, input.userId, input)),
  ofUser: protectedProcedure.input(listUserApiKeysInput).query(({ ctx, input }) => keys.listUserApiKeys(ctx.db, ctx.caller, input.userId)),
});
