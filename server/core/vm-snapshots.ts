import { and, eq, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { vmSnapshots } from "@/db/schema";
import { conflict } from "./errors";
import { recordVmSnapshotUsage } from "./usage";
import { transitionVmSnapshot } from "./vm-snapshot-transition";

/**
 * What the rest of Stratus must respect about VM snapshots (docs/storage.md, "VM snapshots and
 * volume snapshots"): while a VM has any, its disks keep the snapshots inside their top qcow2 layer
 * and a memory snapshot remembers its devices and memory size, so the operations below are refused
 * with the reason, and an expunged VM's snapshots go with it. One place for the rule and its words.
 */

/** The VM's VM snapshots that still exist (any state but Deleted). */
export async function liveVmSnapshotCount(tx: DbOrTx, instanceId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(vmSnapshots)
    .where(and(eq(vmSnapshots.instanceId, instanceId), ne(vmSnapshots.state, "deleted")));
  return Number(row?.n ?? 0);
}

const plural = (n: number) => `${n} VM snapshot${n === 1 ? "" : "s"}`;

/** Why each operation waits until the VM's snapshots are deleted. */
const reasons = {
  volumeSnapshot: (vol: string, vm: string, n: number) =>
    `Volume ${vol} cannot be snapshotted while instance ${vm} has ${plural(n)}: they live inside the volume's top disk layer, which a volume snapshot freezes and commits away. Delete the VM snapshots first`,
  volumeRevert: (vol: string, vm: string, n: number) =>
    `Volume ${vol} cannot be reverted while instance ${vm} has ${plural(n)}: rebuilding the volume from a volume snapshot would erase them. Delete the VM snapshots first`,
  volumes: (_vol: string, vm: string, n: number) =>
    `Instance ${vm} has ${plural(n)}: volumes cannot be attached, detached, resized or migrated while it has any (a revert would bring back another set of disks, and a migrated copy loses them). Delete the VM snapshots first`,
  iso: (_vol: string, vm: string, n: number) =>
    `Instance ${vm} has ${plural(n)}: its ISO cannot change while it has any (a revert would put back the CD-ROM it had then). Delete the VM snapshots first`,
  otherHost: (_vol: string, vm: string, n: number) =>
    `Instance ${vm} has ${plural(n)}, kept with it on its last host, which cannot take it now (full, disabled or down): start it when that host can, or delete the VM snapshots to let it start elsewhere`,
  offering: (_vol: string, vm: string, n: number) =>
    `Instance ${vm} has ${plural(n)}: its offering cannot change while it has any (a memory snapshot needs the memory and CPUs it was taken with). Delete the VM snapshots first`,
} as const;
export type VmSnapshotGuarded = keyof typeof reasons;

/** Throws CONFLICT with the reason when the VM has VM snapshots; call it after the VM's (or the volume's) row lock. */
export async function refuseWhileVmSnapshots(tx: DbOrTx, op: VmSnapshotGuarded, vm: { id: string; name: string } | null, volName = "") {
  if (!vm) return;
  const n = await liveVmSnapshotCount(tx, vm.id);
  if (n > 0) throw conflict(reasons[op](volName, vm.name, n));
}

/**
 * An expunged VM's snapshots go with it (the driver dropped them with the domain): Deleted, and a
 * VMSNAPSHOT.DELETE for each one that was billed (it became Ready once: it has a size). No snapshot
 * job can be running then (the expunge is the VM's one job), so they are Ready or Error.
 */
export async function dropVmSnapshotsOf(tx: DbOrTx, instanceId: string, jobId: string) {
  const held = await tx
    .select({ id: vmSnapshots.id })
    .from(vmSnapshots)
    .where(and(eq(vmSnapshots.instanceId, instanceId), ne(vmSnapshots.state, "deleted")));
  for (const { id } of held) {
    const gone = await transitionVmSnapshot(tx, id, { from: ["ready", "error"], to: "deleted", set: { current: false } });
    if (gone?.sizeBytes != null) await recordVmSnapshotUsage(tx, "VMSNAPSHOT.DELETE", gone, { key: `${jobId}:${id}:VMSNAPSHOT.DELETE` });
  }
}

/** The VM's snapshots the hypervisor may still hold (an expunge deletes them first). */
export const heldVmSnapshots = (tx: DbOrTx, instanceId: string) =>
  tx
    .select({ id: vmSnapshots.id })
    .from(vmSnapshots)
    .where(and(eq(vmSnapshots.instanceId, instanceId), ne(vmSnapshots.state, "deleted")));

/** The hypervisor's name of a VM snapshot: Stratus-generated from its id, never user input. */
export const hypervisorSnapshotName = (id: string) => `vmsnap-${id}`;
