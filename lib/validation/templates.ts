import { z } from "zod";
import { idSchema, nameSchema, printable } from "./common";
import { hypervisorTypeSchema } from "./infrastructure";

/** Template inputs (client-safe: the admin templates page validates with the same schemas). */
export const templateFormats = ["qcow2", "raw", "simulator"] as const;
export const templateFormatSchema = z.enum(templateFormats, { error: "Format must be qcow2, raw or simulator" });

const osType = printable("OS type", 100).refine((v) => v.length > 0, "OS type is required");
const displayText = printable("Description", 255).optional();

export const registerTemplateInput = z
  .object({
    name: nameSchema,
    displayText,
    osType,
    hypervisorType: hypervisorTypeSchema,
    format: templateFormatSchema,
    secondaryStoreId: idSchema,
    /** The image's path inside the secondary store (relative), or an absolute path within it. */
    path: z
      .string()
      .trim()
      .min(1, "Path is required")
      .max(1024, "Path must be at most 1024 characters")
      .refine((p) => !/[\u0000-\u001f]/.test(p), "Path may not contain control characters")
      .refine((p) => !p.split("/").includes(".."), "Path may not contain .."),
    /** Root disk size in GiB; default: the image's virtual size. */
    sizeGib: z
      .number({ error: "Size must be a number" })
      .int("Size must be a whole number of GiB")
      .min(1, "Size must be at least 1 GiB")
      .max(65536)
      .optional(),
    isPublic: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    const ok = v.hypervisorType === "kvm" ? v.format === "qcow2" || v.format === "raw" : v.format === "simulator";
    if (!ok)
      ctx.addIssue({
        code: "custom",
        path: ["format"],
        message: v.hypervisorType === "kvm" ? "KVM templates are qcow2 or raw images" : "Simulator templates use the simulator format",
      });
  });

export const updateTemplateInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  displayText,
  osType: osType.optional(),
  isPublic: z.boolean().optional(),
  state: z.enum(["active", "inactive"], { error: "State must be active or inactive" }).optional(),
});

export const listTemplatesInput = z
  .object({
    zoneId: idSchema.optional(),
    hypervisorType: hypervisorTypeSchema.optional(),
    search: z.string().trim().max(100).optional(),
  })
  .optional();

export const templateIdInput = z.object({ id: idSchema });

export type RegisterTemplateInput = z.infer<typeof registerTemplateInput>;
export type UpdateTemplateInput = z.infer<typeof updateTemplateInput>;
export type ListTemplatesInput = z.infer<typeof listTemplatesInput>;
