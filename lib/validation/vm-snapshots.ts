import { z } from "zod";
import { vmSnapshotTypes } from "../vm-snapshot-state";
import { idSchema, nameSchema, optionalText } from "./common";

export const listVmSnapshotsInput = z.object({ instanceId: idSchema });
export const takeVmSnapshotInput = z.object({
  instanceId: idSchema,
  name: nameSchema,
  description: optionalText(255, "Description"),
  /** disk_and_memory: the running VM's memory too (resumed as it was on revert); disk: its disks only. */
  type: z.enum(vmSnapshotTypes),
});
export type TakeVmSnapshotInput = z.infer<typeof takeVmSnapshotInput>;
export const vmSnapshotIdInput = z.object({ id: idSchema });
