import { z } from "zod";
import { idSchema } from "./common";
import { usageTypeNames } from "./usage";

/** Bases of a tariff, their labels, and which usage types each prices (by the type's unit). */
export const tariffBases = ["hour", "gib_hour", "gib", "vcpu_hour", "gib_ram_hour"] as const;
export type TariffBasis = (typeof tariffBases)[number];
export const tariffBasisLabels: Record<TariffBasis, string> = {
  hour: "per hour",
  gib_hour: "per GiB-hour",
  gib: "per GiB transferred",
  vcpu_hour: "per vCPU-hour",
  gib_ram_hour: "per GiB-RAM-hour",
};
const vmTypes = [1, 2];
const gibHourTypes = [6, 7, 8, 9, 25];
const byteTypes = [4, 5];
/** Whether a basis can price a usage type (hours types by the hour; VMs also per vCPU or GiB of RAM; storage per GiB-hour; bytes per GiB). */
export function basisFits(usageType: number, basis: TariffBasis): boolean {
  if (byteTypes.includes(usageType)) return basis === "gib";
  if (gibHourTypes.includes(usageType)) return basis === "gib_hour" || basis === "hour";
  if (vmTypes.includes(usageType)) return basis === "hour" || basis === "vcpu_hour" || basis === "gib_ram_hour";
  return basis === "hour";
}

/** A decimal amount as text (never a float): up to 21 digits and 9 decimals, not negative. */
export const moneySchema = z
  .string()
  .trim()
  .regex(/^\d{1,21}(\.\d{1,9})?$/, { message: "Enter an amount like 0.05 (at most 9 decimals)" });
/** A percentage as text, -100 < p ≤ 100000, at most 4 decimals. */
export const percentSchema = z
  .string()
  .trim()
  .regex(/^-?\d{1,6}(\.\d{1,4})?$/, { message: "Enter a percentage like 20 or 12.5" })
  .refine((s) => Number(s) > -100, { message: "A margin must be above -100 %" });
export const currencySchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, { message: "Use a three-letter ISO 4217 code such as EUR or USD" });
/** An effective time: a whole hour; none means now (the current hour, or usage period if shorter; server/billing/price-lists.ts). */
export const effectiveFromSchema = z.coerce
  .date({ error: "Effective from must be a date and time" })
  .refine((d) => d.getTime() % 3_600_000 === 0, { message: "Prices change on the hour (minutes and seconds 0, UTC)" })
  .optional();

const usageTypeSchema = z
  .number()
  .int()
  .refine((n) => n in usageTypeNames, { error: "Unknown usage type" });

export const createPriceListInput = z
  .object({
    domainId: idSchema,
    name: z.string().trim().min(1, "Name is required").max(80),
    mode: z.enum(["own", "margin"]),
    currency: currencySchema.optional(),
    marginPercent: percentSchema.optional(),
    allowSubLists: z.boolean().default(false),
    effectiveFrom: effectiveFromSchema,
  })
  .superRefine((v, ctx) => {
    if (v.mode === "own" && !v.currency)
      ctx.addIssue({ code: "custom", path: ["currency"], message: "A list with its own prices needs a currency" });
    if (v.mode === "margin" && v.marginPercent === undefined)
      ctx.addIssue({ code: "custom", path: ["marginPercent"], message: "A margin list needs a margin" });
  });
export type CreatePriceListInput = z.infer<typeof createPriceListInput>;

export const updatePriceListInput = z.object({
  id: idSchema,
  name: z.string().trim().min(1, "Name is required").max(80).optional(),
  allowSubLists: z.boolean().optional(),
});
export const setMarginInput = z.object({ id: idSchema, marginPercent: percentSchema, effectiveFrom: effectiveFromSchema });
export const removePriceListInput = z.object({ id: idSchema, effectiveFrom: effectiveFromSchema });
export const getPriceListInput = z.object({ id: idSchema });

export const setTariffInput = z
  .object({
    priceListId: idSchema,
    usageType: usageTypeSchema,
    offeringId: idSchema.optional(),
    basis: z.enum(tariffBases),
    /** The new price; null ends the tariff at `effectiveFrom`. */
    unitPrice: moneySchema.nullable(),
    effectiveFrom: effectiveFromSchema,
  })
  .superRefine((v, ctx) => {
    if (!basisFits(v.usageType, v.basis))
      ctx.addIssue({
        code: "custom",
        path: ["basis"],
        message: `${usageTypeNames[v.usageType]} cannot be priced ${tariffBasisLabels[v.basis]}`,
      });
    if (v.offeringId && ![1, 2].includes(v.usageType))
      ctx.addIssue({ code: "custom", path: ["offeringId"], message: "Only VM usage types are priced per compute offering" });
  });
export type SetTariffInput = z.infer<typeof setTariffInput>;

export const quoteInput = z.object({
  offeringId: idSchema,
  rootDiskGib: z.number().int().min(1).max(65536),
  dataDiskGib: z.number().int().min(0).max(65536).default(0),
  publicIps: z.number().int().min(0).max(16).default(0),
  /** Instances deployed at once: the totals are for all of them, the lines for one. */
  count: z.number().int().min(1).max(100).default(1),
});
export type QuoteInput = z.input<typeof quoteInput>;

export const costRevenueInput = z.object({
  domainId: idSchema.optional(),
  from: z.coerce.date({ error: "From must be a date" }).optional(),
  to: z.coerce.date({ error: "To must be a date" }).optional(),
});
export type CostRevenueInput = z.infer<typeof costRevenueInput>;
