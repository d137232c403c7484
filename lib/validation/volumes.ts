import { z } from "zod";
import { volumeStates, volumeTypes } from "../volume-state";
import { idSchema, listInputOf, nameSchema } from "./common";

/** A size in whole GiB; the offering's bounds and the pool's room are checked by the service. */
export const gibSchema = (label: string) =>
  z
    .number({ error: `${label} must be a number of GiB` })
    .int({ message: `${label} must be a whole number of GiB` })
    .min(1, { message: `${label} must be at least 1 GiB` })
    .max(65_536, { message: `${label} must be at most 65536 GiB` });

export const createVolumeInput = z.object({
  name: nameSchema,
  zoneId: idSchema,
  diskOfferingId: idSchema,
  /** Required by an offering with a custom size (within its bounds); must be absent or equal for a fixed one. */
  sizeGib: gibSchema("Size").optional(),
  /** Attach to this VM at once (the volume is placed on a pool the VM's host reaches). */
  instanceId: idSchema.optional(),
});
export const volumeIdInput = z.object({ id: idSchema });
export const attachVolumeInput = z.object({ id: idSchema, instanceId: idSchema });
export const resizeVolumeInput = z.object({ id: idSchema, sizeGib: gibSchema("New size") });
export const migrateVolumeInput = z.object({ id: idSchema, storagePoolId: idSchema });

export const volumeSortKeys = ["name", "state", "type", "sizeGib", "createdAt", "zoneName", "accountName", "instanceName"] as const;
export type VolumeSortKey = (typeof volumeSortKeys)[number];
export const listVolumesInput = listInputOf(volumeSortKeys, "desc").extend({
  state: z.enum(volumeStates).optional(),
  type: z.enum(volumeTypes).optional(),
  zoneId: idSchema.optional(),
  accountId: idSchema.optional(),
  /** The volumes of one VM (the instance page's Storage tab). */
  instanceId: idSchema.optional(),
  includeExpunged: z.boolean().default(false),
});

export type CreateVolumeInput = z.infer<typeof createVolumeInput>;
export type ListVolumesInput = z.infer<typeof listVolumesInput>;
