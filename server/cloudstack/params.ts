import { z } from "zod";
import { CsError } from "./errors";
import type { Pair } from "./signature";

/**
 * Request parameters: names are case-insensitive (clients send apiKey or apikey), so they are kept
 * lower-cased for lookup, and as sent (with their order) for the signature. A name given twice is
 * refused: which value was signed would be ambiguous.
 */
export interface CsParams {
  pairs: Pair[];
  byName: Map<string, string>;
}

export function paramsOf(pairs: Pair[]): CsParams {
  const byName = new Map<string, string>();
  for (const [n, v] of pairs) {
    const k = n.toLowerCase();
    if (byName.has(k)) throw new CsError(431, `Parameter ${k} was given more than once`);
    byName.set(k, v);
  }
  return { pairs, byName };
}

/** Parameters of the envelope and the signature, which no command sees. */
export const envelopeParams = new Set(["command", "response", "apikey", "signature", "signatureversion", "expires", "sessionkey", "_"]);

/** Value schemas, from the strings a query string carries. */
export const cs = {
  id: (label: string) => z.string({ error: `${label} is required` }).uuid({ message: `${label}: not a valid id` }),
  string: (label: string) => z.string({ error: `${label} is required` }).min(1, { message: `${label} is required` }),
  bool: (label: string) =>
    z
      .string()
      .regex(/^(true|false)$/i, { message: `${label} must be true or false` })
      .transform((v) => v.toLowerCase() === "true"),
  int: (label: string, min = 0, max = 2_147_483_647) =>
    z
      .string()
      .regex(/^\d+$/, { message: `${label} must be a whole number` })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, { message: `${label} must be at least ${min}` })
          .max(max, { message: `${label} must be at most ${max}` }),
      ),
};

/** CloudStack's paging: page from 1, pagesize up to 500 (CloudStack's default.page.size). */
export const pagingParams = {
  page: cs.int("page", 1).optional(),
  pagesize: cs.int("pagesize", 1, 500).optional(),
  listall: cs.bool("listall").optional(),
  isrecursive: cs.bool("isrecursive").optional(),
  keyword: z.string().max(100).optional(),
};

/** The command's own parameters as an object (lower-case names), unknown names refused with 431. */
export function commandParams<S extends z.ZodRawShape>(shape: S, p: CsParams): z.infer<z.ZodObject<S>> {
  const obj: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [k, v] of p.byName) {
    if (envelopeParams.has(k)) continue;
    if (!(k in shape)) unknown.push(k);
    else obj[k] = v;
  }
  if (unknown.length) throw new CsError(431, `Unknown parameter${unknown.length > 1 ? "s" : ""}: ${unknown.sort().join(", ")}`);
  const parsed = z.object(shape).safeParse(obj);
  if (!parsed.success) {
    throw new CsError(431, parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
  }
  return parsed.data;
}
