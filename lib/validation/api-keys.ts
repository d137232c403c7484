import { z } from "zod";
import { idSchema, printable } from "./common";

export const apiKeyNameSchema = printable("Name", 64).refine((v) => v.length > 0, { message: "Name is required" });

export const createApiKeyInput = z.object({
  name: apiKeyNameSchema,
  /** Optional expiry; must lie in the future. */
  expiresAt: z.coerce
    .date({ error: "Expiry must be a date" })
    .refine((d) => d.getTime() > Date.now(), { message: "Expiry must be in the future" })
    .optional(),
});
export const apiKeyIdInput = z.object({ id: idSchema });
export const listUserApiKeysInput = z.object({ userId: idSchema });

export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

/** A new key for a user: one's own, or (admins, resellers) a user's in scope (CloudStack's registerUserKeys). */
export const createUserApiKeyInput = createApiKeyInput.extend({ userId: idSchema });
