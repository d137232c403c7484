import { z } from "zod";

/** Client-safe input schemas (zod only): the server validates with them, forms reuse them. */
export const idSchema = z.string().uuid({ message: "Must be a valid id" });

/**
 * Characters no name or label may hold: control characters (Unicode Cc: C0, DEL and C1), format
 * characters (Cf: zero-width characters, bidi overrides that make a name display as something
 * else) and line/paragraph separators (Zl, Zp) that break log lines and table rows.
 */
export const INVISIBLE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** A trimmed, printable text field: no control, format or separator characters, not empty unless `optional`. */
export const printable = (label: string, max: number) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .max(max, { message: `${label} must be at most ${max} characters` })
    .refine((v) => !INVISIBLE_CHARS.test(v), {
      message: `${label} cannot contain control, invisible formatting or line-separator characters`,
    });

/** Names of domains, accounts, offerings, infrastructure: printable, no slashes (paths use them). */
export const nameSchema = printable("Name", 64)
  .refine((v) => v.length > 0, { message: "Name is required" })
  .refine((v) => !/[/\\]/.test(v), { message: "Name cannot contain slashes" });

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

export const optionalText = (max = 255, label = "Text") =>
  printable(label, max)
    .transform((v) => (v === "" ? undefined : v))
    .optional();

export const tagsSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[a-zA-Z0-9._-]+$/, { message: "Tags may contain letters, digits, '.', '_' and '-'" }),
  )
  .max(32)
  .default([]);

/**
 * The list input every table sends (search, sort, page), for a list sortable by `sortKeys`. The
 * sort key is validated against that list: an unknown key (or "__proto__") is BAD_REQUEST naming
 * `sort`, so a user string is never looked up in an object or reaches SQL. It is typed as a string
 * on the way in (tables keep their column keys as strings) and as one of the keys on the way out.
 */
export function listInputOf<const K extends readonly [string, ...string[]]>(sortKeys: K, defaultDir: "asc" | "desc" = "asc") {
  const message = `Sort must be one of: ${sortKeys.join(", ")}`;
  return z.object({
    search: z.string().trim().max(200).optional(),
    sort: z
      .string({ error: message })
      .pipe(z.enum(sortKeys, { error: message }))
      .optional(),
    dir: z.enum(["asc", "desc"], { error: "Direction must be asc or desc" }).default(defaultDir),
    page: z.number().int().min(1).default(1),
    pageSize: z.number().int().min(1).max(200).default(20),
  });
}

/** The keys of a sort map ({ key: column }), as the tuple `listInputOf` takes. */
export const sortKeysOf = <M extends Record<string, unknown>>(map: M) => Object.keys(map) as [keyof M & string, ...(keyof M & string)[]];
