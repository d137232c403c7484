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
/** Copy a template or ISO to another zone's secondary store (CloudStack's copyTemplate). */
export const copyTemplateToZoneInput = z.object({ id: idSchema, zoneId: idSchema });
export type CopyTemplateToZoneInput = z.infer<typeof copyTemplateToZoneInput>;

/** Formats a tenant may register: disk images (raw is stored as qcow2) and ISOs. */
export const imageFormats = ["qcow2", "raw", "iso"] as const;
export type ImageFormat = (typeof imageFormats)[number];

export const checksumAlgorithms = ["md5", "sha256", "sha512"] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];
const hexLength: Record<ChecksumAlgorithm, number> = { md5: 32, sha256: 64, sha512: 128 };

/** "algo:hex", or bare hex whose length names the algorithm (32 md5, 64 sha256, 128 sha512); null when not a checksum. */
export function parseChecksum(v: string): { algorithm: ChecksumAlgorithm; hex: string } | null {
  const m = /^(?:(md5|sha256|sha512):)?([0-9a-fA-F]+)$/.exec(v.trim());
  if (!m) return null;
  const hex = m[2]!.toLowerCase();
  const algorithm = (m[1] as ChecksumAlgorithm | undefined) ?? checksumAlgorithms.find((a) => hexLength[a] === hex.length);
  if (!algorithm || hexLength[algorithm] !== hex.length) return null;
  return { algorithm, hex };
}

const checksumSchema = z
  .string()
  .trim()
  .max(140)
  .transform((v) => (v === "" ? undefined : v))
  .optional()
  .refine((v) => v === undefined || parseChecksum(v) !== null, "Checksum must be md5, sha256 or sha512 hex, optionally as algo:hex")
  .transform((v) => {
    const c = v === undefined ? null : parseChecksum(v);
    return c ? `${c.algorithm}:${c.hex}` : undefined;
  });

/** What a tenant tells about an image it registers (from a URL or by upload). */
const imageFields = {
  name: nameSchema,
  displayText,
  osType,
  zoneId: idSchema,
  format: z.enum(imageFormats, { error: "Format must be qcow2, raw or iso" }),
  checksum: checksumSchema,
  /** Root admins only: everyone sees it (featured: listed first). */
  isPublic: z.boolean().default(false),
  isFeatured: z.boolean().default(false),
};

export const registerFromUrlInput = z.object({
  ...imageFields,
  url: z
    .string()
    .trim()
    .min(1, "URL is required")
    .max(2048, "URL must be at most 2048 characters")
    .refine((u) => /^https?:\/\//i.test(u), "URL must start with http:// or https://")
    .refine((u) => URL.canParse(u), "URL is not valid"),
});

/** Starts an upload from the browser: the bytes follow in chunks to /api/uploads/<id>. */
export const startUploadInput = z.object({
  ...imageFields,
  sizeBytes: z.number({ error: "Size must be a number" }).int().min(1, "The file is empty"),
});

export const listImagesInput = z
  .object({
    kind: z.enum(["template", "iso"]).default("template"),
    zoneId: idSchema.optional(),
    search: z.string().trim().max(100).optional(),
    /** mine: owned by the caller's account; shared: shared with it; public: public or featured. */
    filter: z.enum(["all", "mine", "shared", "public", "featured"]).default("all"),
  })
  .optional();

export const shareTemplateInput = z.object({
  id: idSchema,
  /** Accounts it is shared with (replaces the list). */
  accountIds: z.array(idSchema).max(100).default([]),
  /** Domains whose whole subtree it is shared with (replaces the list). */
  domainIds: z.array(idSchema).max(100).default([]),
  /** Root admins only. */
  isPublic: z.boolean().optional(),
  isFeatured: z.boolean().optional(),
});

export type RegisterFromUrlInput = z.infer<typeof registerFromUrlInput>;
export type StartUploadInput = z.infer<typeof startUploadInput>;
export type ListImagesInput = z.infer<typeof listImagesInput>;
export type ShareTemplateInput = z.infer<typeof shareTemplateInput>;

export type RegisterTemplateInput = z.infer<typeof registerTemplateInput>;
export type UpdateTemplateInput = z.infer<typeof updateTemplateInput>;
export type ListTemplatesInput = z.infer<typeof listTemplatesInput>;

/** A template made from a snapshot or a volume (issue 10): private to the source's account, in its zone. */
const fromSourceFields = { name: nameSchema, displayText, osType };
export const createTemplateFromSnapshotInput = z.object({ snapshotId: idSchema, ...fromSourceFields });
export const createTemplateFromVolumeInput = z.object({ volumeId: idSchema, ...fromSourceFields });
export type CreateTemplateFromSnapshotInput = z.infer<typeof createTemplateFromSnapshotInput>;
export type CreateTemplateFromVolumeInput = z.infer<typeof createTemplateFromVolumeInput>;
