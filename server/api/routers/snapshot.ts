import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { listSnapshotsInput, snapshotIdInput, takeSnapshotInput } from "@/lib/validation/snapshots";
import * as ops from "@/server/services/snapshots/operations";

/** Volume snapshots: anyone signed in, on the volumes in its scope (others' are NOT_FOUND). */
export const snapshotRouter = createTRPCRouter({
  list: protectedProcedure.input(listSnapshotsInput).query(({ ctx, input }) => ops.listSnapshots(ctx.db, ctx.caller, input)),
  take: protectedProcedure.input(takeSnapshotInput).mutation(({ ctx, input }) => ops.takeSnapshot(ctx.db, ctx.caller, input)),
  revert: protectedProcedure.input(snapshotIdInput).mutation(({ ctx, input }) => ops.revertSnapshot(ctx.db, ctx.caller, input.id)),
  delete: protectedProcedure.input(snapshotIdInput).mutation(({ ctx, input }) => ops.deleteSnapshot(ctx.db, ctx.caller, input.id)),
});
