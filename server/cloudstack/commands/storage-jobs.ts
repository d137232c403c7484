import { TRPCError } from "@trpc/server";
import { snapshotObject, volumeObject } from "./storage";
import type { CsContext } from "./types";

/** The CloudStack command class of each storage job type (queryAsyncJobResult's cmd). */
const cmd = "org.apache.cloudstack.api.command.user";
export const STORAGE_JOB_COMMAND: Record<string, string> = {
  "volume.create": `${cmd}.volume.CreateVolumeCmd`,
  "volume.create-from-snapshot": `${cmd}.volume.CreateVolumeCmd`,
  "volume.attach": `${cmd}.volume.AttachVolumeCmd`,
  "volume.detach": `${cmd}.volume.DetachVolumeCmd`,
  "volume.resize": `${cmd}.volume.ResizeVolumeCmd`,
  "volume.expunge": `${cmd}.volume.DeleteVolumeCmd`,
  "snapshot.take": `${cmd}.snapshot.CreateSnapshotCmd`,
  "snapshot.delete": `${cmd}.snapshot.DeleteSnapshotCmd`,
  "snapshot.revert": `${cmd}.snapshot.RevertSnapshotCmd`,
  "vm.changeOffering": `${cmd}.vm.ScaleVMCmd`,
};

interface FinishedJob {
  type: string;
  resourceType: string;
  resourceId: string;
  result: unknown;
}

/**
 * The jobresult of a succeeded volume or snapshot job, as CloudStack answers it: {volume} for
 * volume jobs, {snapshot} for a snapshot taken, {success: true} for deletions; undefined for
 * jobs that are not storage jobs.
 */
export async function storageJobResult(ctx: CsContext, j: FinishedJob): Promise<Record<string, unknown> | undefined> {
  if (j.resourceType !== "volume") return undefined;
  try {
    if (j.type === "snapshot.take") {
      const id = (j.result as { snapshotId?: string } | null)?.snapshotId;
      const snapshot = id ? await snapshotObject(ctx, id, j.resourceId) : undefined;
      return snapshot ? { snapshot } : { success: true };
    }
    if (j.type.startsWith("snapshot.") || j.type === "volume.expunge" || j.type === "volume.destroy") return { success: true };
    return { volume: await volumeObject(ctx, j.resourceId) };
  } catch (e) {
    // The volume is gone since (deleted): the job still succeeded.
    if (e instanceof TRPCError && e.code === "NOT_FOUND") return { success: true };
    throw e;
  }
}
