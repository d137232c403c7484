import { z } from "zod";

/** Client-safe input schemas (zod only): the server validates with them, forms reuse them. */
export const idSchema = z.string().uuid({ message: "Must be a valid id" });

/** Names of domains, accounts, offerings, infrastructure: printable, no slashes (paths use them). */
export const nameSchema = z
  .string()
  .trim()
  .min(1, { message: "Name is required" })
  .max(64, { message: "Name must be at most 64 characters" })
  .regex(/^[^/\\\u0000-\u001f]+$/, { message: "Name cannot contain slashes or control characters" });

export const usernameSchema = z
  .string()
  .trim()
  .min(2, { message: "Username must be at least 2 characters" })
  .max(64, { message: "Username must be at most 64 characters" })
  .regex(/^[a-zA-Z0-9._@-]+$/, { message: "Username may contain letters, digits, '.', '_', '@' and '-'" });

export const passwordSchema = z
  .string()
  .min(8, { message: "Password must be at least 8 characters" })
  .max(256, { message: "Password must be at most 256 characters" });

export const optionalText = (max = 255) =>
  z
    .string()
    .trim()
    .max(max, { message: `At most ${max} characters` })
    .transform((v) => (v === "" ? undefined : v))
    .optional();

export const tagsSchema = z
  .array(z.string().trim().min(1).max(64).regex(/^[a-zA-Z0-9._-]+$/, { message: "Tags may contain letters, digits, '.', '_' and '-'" }))
  .max(32)
  .default([]);
