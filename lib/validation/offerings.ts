import { z } from "zod";
import { idSchema, nameSchema, optionalText, tagsSchema } from "./common";

/**
 * Compute and disk offerings. Client-safe: the server validates with these, the forms reuse them.
 * Every message names the field it is about, so it reads well beside the field and in an API error.
 */

export const offeringStates = ["active", "inactive"] as const;
export const offeringStateSchema = z.enum(offeringStates, { message: "State must be active or inactive" });
export type OfferingState = (typeof offeringStates)[number];

/** A whole number in [min, max]; `label` names the field in every message. */
const wholeNumber = (label: string, min: number, max: number, unit = "") =>
  z
    .number({ message: `${label} must be a number` })
    .int({ message: `${label} must be a whole number` })
    .min(min, { message: `${label} must be at least ${min}${unit}` })
    .max(max, { message: `${label} must be at most ${max}${unit}` });

export const offeringLimits = {
  cpuCores: { min: 1, max: 256 },
  cpuMhz: { min: 100, max: 100_000 },
  memoryMib: { min: 64, max: 16_777_216 },
  gib: { min: 1, max: 65_536 },
} as const;

/** NULL (or omitted) = public, which only the root administrator may choose. */
const scopeSchema = idSchema.nullable().default(null);

const computeFields = {
  name: nameSchema,
  displayText: optionalText(255, "Description"),
  cpuCores: wholeNumber("vCPUs", offeringLimits.cpuCores.min, offeringLimits.cpuCores.max),
  cpuMhz: wholeNumber("CPU speed", offeringLimits.cpuMhz.min, offeringLimits.cpuMhz.max, " MHz"),
  memoryMib: wholeNumber("Memory", offeringLimits.memoryMib.min, offeringLimits.memoryMib.max, " MiB"),
  cpuCap: z.boolean().default(false),
  hostTags: tagsSchema,
};

export const createComputeOfferingInput = z.object({ ...computeFields, domainId: scopeSchema });
/** Everything but the scope can be edited (moving an offering between scopes is delete + create). */
export const updateComputeOfferingInput = z.object({ id: idSchema, ...computeFields });

const gib = (label: string) => wholeNumber(label, offeringLimits.gib.min, offeringLimits.gib.max, " GiB").nullable().optional();

const diskFields = {
  name: nameSchema,
  displayText: optionalText(255, "Description"),
  customSize: z.boolean().default(false),
  sizeGib: gib("Size"),
  minGib: gib("Minimum size"),
  maxGib: gib("Maximum size"),
  storageTags: tagsSchema,
};

/** Fixed size: sizeGib is required. Custom size: minGib ≤ maxGib are required, sizeGib is ignored. */
function checkDiskSize(
  v: { customSize: boolean; sizeGib?: number | null; minGib?: number | null; maxGib?: number | null },
  ctx: z.RefinementCtx,
) {
  if (!v.customSize) {
    if (v.sizeGib == null) ctx.addIssue({ code: "custom", path: ["sizeGib"], message: "Size is required unless the size is custom" });
    return;
  }
  if (v.minGib == null) ctx.addIssue({ code: "custom", path: ["minGib"], message: "Minimum size is required for a custom size" });
  if (v.maxGib == null) ctx.addIssue({ code: "custom", path: ["maxGib"], message: "Maximum size is required for a custom size" });
  if (v.minGib != null && v.maxGib != null && v.minGib > v.maxGib) {
    ctx.addIssue({ code: "custom", path: ["maxGib"], message: "Maximum size must be at least the minimum size" });
  }
}

export const createDiskOfferingInput = z.object({ ...diskFields, domainId: scopeSchema }).superRefine(checkDiskSize);
export const updateDiskOfferingInput = z.object({ id: idSchema, ...diskFields }).superRefine(checkDiskSize);

export const offeringIdInput = z.object({ id: idSchema });
export const setOfferingStateInput = z.object({ id: idSchema, state: offeringStateSchema });
/** Filters a list accepts besides search/sort/page. */
export const offeringListFilters = {
  state: offeringStateSchema.optional(),
  /** Only offerings that can be used for new resources now (what a deploy form wants). */
  activeOnly: z.boolean().optional(),
};

export type CreateComputeOfferingInput = z.infer<typeof createComputeOfferingInput>;
export type UpdateComputeOfferingInput = z.infer<typeof updateComputeOfferingInput>;
export type CreateDiskOfferingInput = z.infer<typeof createDiskOfferingInput>;
export type UpdateDiskOfferingInput = z.infer<typeof updateDiskOfferingInput>;
