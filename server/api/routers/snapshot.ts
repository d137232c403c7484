import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { createVolumeFromSnapshotInput, listSnapshotsInput, snapshotIdInput, takeSnapshotInput } from "@/lib/validation/snapshots";
import { createTemplateFromSnapshotInput } from "@/lib/validation/templates";
import { createVolumeFromSnapshot } from "@/server/services/snapshots/volume-from";
import { createTemplateFromSnapshot } from "@/server/services/template-images/from-source";
import {
  createSnapshotPolicyInput,
  listSnapshotPoliciesInput,
  snapshotPolicyIdInput,
  snapshotPolicyIdsInput,
} from "@/lib/validation/snapshot-policies";
import * as ops from "@/server/services/snapshots/operations";
import * as policies from "@/server/services/snapshots/policies";

/** Volume snapshots: anyone signed in, on the volumes in its scope (others' are NOT_FOUND). */
export const snapshotRouter = createTRPCRouter({
  list: protectedProcedure.input(listSnapshotsInput).query(({ ctx, input }) => ops.listSnapshots(ctx.db, ctx.caller, input)),
  take: protectedProcedure.input(takeSnapshotInput).mutation(({ ctx, input }) => ops.takeSnapshot(ctx.db, ctx.caller, input)),
  revert: protectedProcedure.input(snapshotIdInput).mutation(({ ctx, input }) => ops.revertSnapshot(ctx.db, ctx.caller, input.id)),
  delete: protectedProcedure.input(snapshotIdInput).mutation(({ ctx, input }) => ops.deleteSnapshot(ctx.db, ctx.caller, input.id)),
  createVolume: protectedProcedure
    .input(createVolumeFromSnapshotInput)
    .mutation(({ ctx, input }) => createVolumeFromSnapshot(ctx.db, ctx.caller, input)),
  createTemplate: protectedProcedure
    .input(createTemplateFromSnapshotInput)
    .mutation(({ ctx, input }) => createTemplateFromSnapshot(ctx.db, ctx.caller, input)),
  policies: protectedProcedure
    .input(listSnapshotPoliciesInput)
    .query(({ ctx, input }) => policies.listSnapshotPolicies(ctx.db, ctx.caller, input.volumeId)),
  createPolicy: protectedProcedure
    .input(createSnapshotPolicyInput)
    .mutation(({ ctx, input }) => policies.createSnapshotPolicy(ctx.db, ctx.caller, input)),
  deletePolicy: protectedProcedure
    .input(snapshotPolicyIdInput)
    .mutation(({ ctx, input }) => policies.deleteSnapshotPolicy(ctx.db, ctx.caller, input.id)),
  /** Several at once, all or none (CloudStack's deleteSnapshotPolicies with ids). */
  deletePolicies: protectedProcedure
    .input(snapshotPolicyIdsInput)
    .mutation(({ ctx, input }) => policies.deleteSnapshotPolicies(ctx.db, ctx.caller, input.ids)),
});
