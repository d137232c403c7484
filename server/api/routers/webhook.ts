import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { createWebhookInput } from "@/lib/validation/billing";
import { idSchema } from "@/lib/validation/common";
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  pingWebhook,
  setWebhookEnabled,
} from "@/server/webhooks/subscriptions";

export const webhookRouter = createTRPCRouter({
  list: permissionProcedure("webhook.manage").query(({ ctx }) => listWebhooks(ctx.db, ctx.caller)),
  create: permissionProcedure("webhook.manage")
    .input(createWebhookInput)
    .mutation(({ ctx, input }) => createWebhook(ctx.db, ctx.caller, input)),
  setEnabled: permissionProcedure("webhook.manage")
    .input(z.object({ id: idSchema, enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setWebhookEnabled(ctx.db, ctx.caller, input.id, input.enabled)),
  delete: permissionProcedure("webhook.manage")
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => deleteWebhook(ctx.db, ctx.caller, input.id)),
  ping: permissionProcedure("webhook.manage")
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => pingWebhook(ctx.db, ctx.caller, input.id)),
  deliveries: permissionProcedure("webhook.manage")
    .input(z.object({ subscriptionId: idSchema }))
    .query(({ ctx, input }) => listDeliveries(ctx.db, ctx.caller, input.subscriptionId)),
});
