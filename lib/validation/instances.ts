import { z } from "zod";
import { vmStates } from "../vm-state";
import { idSchema, listInputOf } from "./common";
import { nicRequestSchema } from "./networks";

/** VM names become hostnames: letters, digits and hyphens, starting with a letter (RFC 1123). */
export const vmNameSchema = z
  .string()
  .trim()
  .min(1, { message: "Name is required" })
  .max(63, { message: "Name must be at most 63 characters" })
  .regex(/^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/, {
    message: "Use letters, digits and hyphens; start with a letter, do not end with a hyphen",
  });

export const deployInstanceInput = z.object({
  zoneId: idSchema,
  templateId: idSchema,
  computeOfferingId: idSchema,
  name: vmNameSchema,
  count: z.number().int().min(1, { message: "Deploy at least 1" }).max(20, { message: "At most 20 at once" }).default(1),
  /** A root disk larger than the template's (GiB); the template's size when absent. */
  rootDiskGib: z
    .number({ error: "Root disk size must be a number of GiB" })
    .int({ message: "Root disk size must be a whole number of GiB" })
    .min(1, { message: "Root disk size must be at least 1 GiB" })
    .max(65_536, { message: "Root disk size must be at most 65536 GiB" })
    .optional(),
  /** An optional data disk from a disk offering, attached as vdb (size for a custom-size offering). */
  dataDisk: z
    .object({
      diskOfferingId: idSchema,
      sizeGib: z
        .number({ error: "Data disk size must be a number of GiB" })
        .int({ message: "Data disk size must be a whole number of GiB" })
        .min(1, { message: "Data disk size must be at least 1 GiB" })
        .max(65_536, { message: "Data disk size must be at most 65536 GiB" })
        .optional(),
    })
    .optional(),
  /**
   * Networks for the VM's NICs, in device order (the first is the default NIC), each with an
   * optional address. Absent or empty: the account's default network (made on its first deploy).
   */
  networks: z
    .array(nicRequestSchema)
    .max(8, { message: "At most 8 networks per VM" })
    .refine((n) => new Set(n.map((x) => x.networkId)).size === n.length, { message: "Networks must not repeat" })
    .optional(),
});
export const instanceIdInput = z.object({ id: idSchema });
/** expunge: expunge right after, in the same job (not after the expunge delay). */
export const destroyInstanceInput = z.object({ id: idSchema, expunge: z.boolean().default(false) });
export const stopInstanceInput = z.object({ id: idSchema, force: z.boolean().default(false) });
export const changeOfferingInput = z.object({ id: idSchema, computeOfferingId: idSchema });
export const bulkInstanceInput = z.object({
  ids: z.array(idSchema).min(1, { message: "Select at least one instance" }).max(100),
  action: z.enum(["start", "stop", "reboot", "destroy"]),
});
/** Columns the instance list may be sorted by (hostName: root admins only; others get the default order). */
export const instanceSortKeys = ["name", "state", "createdAt", "zoneName", "offeringName", "accountName", "hostName"] as const;
export type InstanceSortKey = (typeof instanceSortKeys)[number];
export const listInstancesInput = listInputOf(instanceSortKeys, "desc").extend({
  state: z.enum(vmStates).optional(),
  zoneId: idSchema.optional(),
  accountId: idSchema.optional(),
  domainId: idSchema.optional(),
  /** The VMs on one host (root admin only: hosts are infrastructure). */
  hostId: idSchema.optional(),
  includeExpunged: z.boolean().default(false),
});

export type DeployInstanceInput = z.infer<typeof deployInstanceInput>;
export type ListInstancesInput = z.infer<typeof listInstancesInput>;

/** An ISO (a Ready template of format iso the VM's account may use) into the VM's CD-ROM. */
export const attachIsoInput = z.object({
  id: idSchema,
  isoId: idSchema,
  /** CD-ROM first in the boot order from the VM's next start. */
  bootFromIso: z.boolean({ error: "bootFromIso must be true or false" }).default(false),
});
export type AttachIsoInput = z.input<typeof attachIsoInput>;
