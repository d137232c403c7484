import { z } from "zod";
import { idSchema, nameSchema } from "./common";

export const listSnapshotsInput = z.object({ volumeId: idSchema.optional() });
export const takeSnapshotInput = z.object({ volumeId: idSchema, name: nameSchema.optional() });
export const snapshotIdInput = z.object({ id: idSchema });
