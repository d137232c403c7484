import { z } from "zod";
import { idSchema, nameSchema, optionalText, passwordSchema, usernameSchema } from "./common";
import { limitsSchema } from "./limits";

export const createDomainInput = z.object({ parentId: idSchema, name: nameSchema });
/** Renaming a domain or an account: the same two fields. */
export const renameInput = z.object({ id: idSchema, name: nameSchema });
export const renameDomainInput = renameInput;
export const moveDomainInput = z.object({ id: idSchema, parentId: idSchema });
export const domainIdInput = z.object({ id: idSchema });

const userFields = {
  username: usernameSchema,
  password: passwordSchema,
  email: z
    .string()
    .trim()
    .email({ message: "Must be a valid email address" })
    .max(254)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  firstName: optionalText(64, "First name"),
  lastName: optionalText(64, "Last name"),
};

export const createAccountInput = z.object({
  domainId: idSchema,
  name: nameSchema,
  type: z.enum(["user", "domain_admin", "root_admin"]).default("user"),
  ...userFields,
  /** Limits to start with, over the built-in defaults of the account type (`defaultAccountLimits`). */
  limits: limitsSchema.optional(),
});
export const accountIdInput = z.object({ id: idSchema });
export const renameAccountInput = renameInput;
export const setAccountStateInput = z.object({ id: idSchema, state: z.enum(["enabled", "disabled", "locked"]) });

export const createUserInput = z.object({ accountId: idSchema, ...userFields });
export const updateUserInput = z.object({
  id: idSchema,
  email: userFields.email,
  firstName: optionalText(64, "First name"),
  lastName: optionalText(64, "Last name"),
});
export const userIdInput = z.object({ id: idSchema });
export const setUserStateInput = z.object({ id: idSchema, state: z.enum(["enabled", "disabled", "locked"]) });
export const resetPasswordInput = z.object({ id: idSchema, password: passwordSchema });
export const changeOwnPasswordInput = z.object({
  currentPassword: z.string().min(1, { message: "Current password is required" }),
  newPassword: passwordSchema,
});
/** A sign-in session of one's own (ids are random base64url strings). */
export const sessionIdInput = z.object({
  id: z
    .string()
    .trim()
    .min(1, { message: "Session is required" })
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, { message: "Not a session id" }),
});

export type CreateDomainInput = z.infer<typeof createDomainInput>;
export type CreateAccountInput = z.infer<typeof createAccountInput>;
export type CreateUserInput = z.infer<typeof createUserInput>;
