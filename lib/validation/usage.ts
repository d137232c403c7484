import { z } from "zod";
import { idSchema } from "./common";

/** CloudStack's usage type numbers and their names (client-safe: the usage page labels and filters by them). */
export const usageTypeNames: Readonly<Record<number, string>> = {
  1: "RUNNING_VM",
  2: "ALLOCATED_VM",
  3: "IP_ADDRESS",
  4: "NETWORK_BYTES_SENT",
  5: "NETWORK_BYTES_RECEIVED",
  6: "VOLUME",
  7: "TEMPLATE",
  8: "ISO",
  9: "SNAPSHOT",
  11: "LOAD_BALANCER_POLICY",
  12: "PORT_FORWARDING_RULE",
  13: "NETWORK_OFFERING",
  25: "VM_SNAPSHOT",
};

/** Filters shared by usage.records, usage.summary and the export. No range: the current month (UTC). */
export const usageFilters = {
  from: z.coerce.date({ error: "From must be a date" }).optional(),
  to: z.coerce.date({ error: "To must be a date" }).optional(),
  usageType: z.coerce
    .number({ error: "Type must be a usage type number" })
    .int()
    .refine((n) => n in usageTypeNames, { error: "Unknown usage type" })
    .optional(),
  accountId: idSchema.optional(),
  domainId: idSchema.optional(),
  resourceId: idSchema.optional(),
};
export const usageFiltersSchema = z.object(usageFilters).refine((f) => !f.from || !f.to || f.from < f.to, {
  error: "From must be before To",
  path: ["to"],
});
export type UsageFilters = z.infer<typeof usageFiltersSchema>;

export const usageBuckets = ["hour", "day", "month"] as const;
export const usageSummaryInput = z.object({
  ...usageFilters,
  /** Chart buckets; default: hours for a range of two days or less, days otherwise. */
  bucket: z.enum(usageBuckets, { error: "Bucket must be hour, day or month" }).optional(),
  /** How many top accounts and resources. */
  top: z.number().int().min(1).max(50).default(10),
});

export const usageExportFormats = ["csv", "json"] as const;
/** The export's columns, in order: stable names (CSV header and JSON keys) for scripts that read them. */
export const usageExportColumns = [
  "account_id",
  "account_name",
  "domain_id",
  "domain_path",
  "usage_type",
  "usage_type_name",
  "resource_id",
  "resource_name",
  "zone_id",
  "offering_id",
  "template_id",
  "dimensions",
  "period_start",
  "period_end",
  "seconds",
  "size",
  "unit",
  "quantity",
  "amount",
  "currency",
] as const;
