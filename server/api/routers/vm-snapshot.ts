import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { listVmSnapshotsInput, takeVmSnapshotInput, vmSnapshotIdInput } from "@/lib/validation/vm-snapshots";
import * as ops from "@/server/services/vm-snapshots/operations";

/** VM snapshots: anyone signed in, on the instances in its scope (others' are NOT_FOUND). */
export const vmSnapshotRouter = createTRPCRouter({
  list: protectedProcedure.input(listVmSnapshotsInput).query(({ ctx, input }) => ops.listVmSnapshots(ctx.db, ctx.caller, input.instanceId)),
  take: protectedProcedure.input(takeVmSnapshotInput).mutation(({ ctx, input }) => ops.takeVmSnapshot(ctx.db, ctx.caller, input)),
  revert: protectedProcedure.input(vmSnapshotIdInput).mutation(({ ctx, input }) => ops.revertVmSnapshot(ctx.db, ctx.caller, input.id)),
  delete: protectedProcedure.input(vmSnapshotIdInput).mutation(({ ctx, input }) => ops.deleteVmSnapshot(ctx.db, ctx.caller, input.id)),
});
