import { z } from "zod";
import { idSchema, nameSchema } from "./common";
import { gibSchema } from "./volumes";

export const listSnapshotsInput = z.object({ volumeId: idSchema.optional() });
export const takeSnapshotInput = z.object({ volumeId: idSchema, name: nameSchema.optional() });
export const snapshotIdInput = z.object({ id: idSchema });
/** A new DATADISK holding the snapshot's data: the snapshot's size, or larger when asked. */
export const createVolumeFromSnapshotInput = z.object({ snapshotId: idSchema, name: nameSchema, sizeGib: gibSchema("Size").optional() });
export type CreateVolumeFromSnapshotInput = z.infer<typeof createVolumeFromSnapshotInput>;
