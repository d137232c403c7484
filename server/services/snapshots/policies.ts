import { and, asc, count, desc, eq, inArray, ne, notInArray } from "drizzle-orm";
import type { Db } from "@/db";
import { snapshotPolicies, snapshotPolicyRuns, snapshots, volumes } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { volumeScope } from "@/server/authz/scopes";
import { conflict, isUniqueViolation, ServiceError } from "@/server/core/errors";
import { retryOnDeadlock } from "@/server/core/retry";
import { lastDueAt, nextDueTimes, type SnapshotScheduleSpec } from "@/lib/snapshot-schedule";
import type { CreateSnapshotPolicyInput } from "@/lib/validation/snapshot-policies";
import { getVolumeInScope } from "@/server/services/volumes/access";
import { beginTake, deleteSnapshot } from "./operations";

type Policy = typeof snapshotPolicies.$inferSelect;

const specOf = (p: Policy): SnapshotScheduleSpec => ({
  frequency: p.frequency,
  minute: p.minute,
  hour: p.hour,
  weekday: p.weekday,
  dayOfMonth: p.dayOfMonth,
  timeZone: p.timeZone,
});

/**
 * A volume's policies (or, without one, those of every volume in the caller's scope) with their
 * volume's account and next three run times (instants; the browser shows them in the user's zone).
 */
export async function listSnapshotPolicies(db: Db, caller: Caller, volumeId: string | undefined, now = new Date()) {
  if (volumeId) await getVolumeInScope(db, caller, volumeId);
  const rows = await db
    .select({ policy: snapshotPolicies, accountId: volumes.accountId })
    .from(snapshotPolicies)
    .innerJoin(volumes, eq(volumes.id, snapshotPolicies.volumeId))
    .where(volumeId ? eq(snapshotPolicies.volumeId, volumeId) : and(ne(volumes.state, "expunged"), volumeScope(caller)))
    .orderBy(asc(snapshotPolicies.createdAt), asc(snapshotPolicies.id));
  return rows.map(({ policy, accountId }) => ({ ...policy, accountId, nextRuns: nextDueTimes(specOf(policy), now, 3) }));
}

export async function createSnapshotPolicy(db: Db, caller: Caller, input: CreateSnapshotPolicyInput) {
  const vol = await getVolumeInScope(db, caller, input.volumeId);
  if (vol.state === "destroyed" || vol.state === "error") throw conflict(`Volume ${vol.name} is ${vol.state}`, "volumeId");
  try {
    const [row] = await db
      .insert(snapshotPolicies)
      .values({
        volumeId: vol.id,
        frequency: input.frequency,
        minute: input.minute,
        hour: input.hour ?? null,
        weekday: input.weekday ?? null,
        dayOfMonth: input.dayOfMonth ?? null,
        timeZone: input.timeZone,
        retention: input.retention,
      })
      .returning();
    return { ...row!, nextRuns: nextDueTimes(specOf(row!), new Date(), 3) };
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`Volume ${vol.name} already has a ${input.frequency} policy; delete it first`, "frequency");
    throw e;
  }
}

/** Deletes a policy (its snapshots stay, counted no more by its retention). */
export async function deleteSnapshotPolicy(db: Db, caller: Caller, id: string) {
  await deleteSnapshotPolicies(db, caller, [id]);
  return { id };
}

/** Deletes these policies, all or none: one not found (or not the caller's) changes nothing. */
export async function deleteSnapshotPolicies(db: Db, caller: Caller, ids: string[]) {
  const wanted = [...new Set(ids)];
  return db.transaction(async (tx) => {
    const found = await tx
      .select({ id: snapshotPolicies.id })
      .from(snapshotPolicies)
      .innerJoin(volumes, eq(volumes.id, snapshotPolicies.volumeId))
      .where(and(inArray(snapshotPolicies.id, wanted), ne(volumes.state, "expunged"), volumeScope(caller)))
      .for("update", { of: snapshotPolicies });
    const missing = wanted.find((id) => !found.some((f) => f.id === id));
    if (missing) throw new ServiceError("NOT_FOUND", `Snapshot policy ${missing} not found`);
    await tx.delete(snapshotPolicies).where(inArray(snapshotPolicies.id, wanted));
    return { ids: wanted };
  });
}

/**
 * The policy sweep (a Schedule; `now` is injectable so tests drive the clock): for each policy the
 * latest due time not yet run (after the policy was made) starts a snapshot, once: the run row's
 * key (policy, due time) is inserted in the snapshot's transaction, so a second process finds it
 * taken. A due snapshot that cannot start (limit, busy volume) is recorded with the reason and not
 * retried. Then retention deletes a policy's oldest Ready snapshots beyond its count.
 */
export async function runSnapshotPolicies(db: Db, now: Date = new Date()) {
  const rows = await db
    .select({ policy: snapshotPolicies, vol: volumes })
    .from(snapshotPolicies)
    .innerJoin(volumes, eq(volumes.id, snapshotPolicies.volumeId))
    // A destroyed (recoverable), failed or expunged volume's policies rest: no run, no failed run
    // every period. Recovery wakes them; expunge deletes them (volume.expunge).
    .where(notInArray(volumes.state, ["destroyed", "error", "expunged"]));
  for (const { policy, vol } of rows) {
    const due = lastDueAt(specOf(policy), now);
    if (due && due >= policy.createdAt) await runDue(db, policy, vol, due);
    await applyRetention(db, policy);
  }
}

async function runDue(db: Db, policy: Policy, vol: typeof volumes.$inferSelect, due: Date) {
  const name = `${vol.name}-${policy.frequency}-${due.toISOString().replace(/[-:]/g, "").slice(0, 13)}`;
  try {
    await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const [claimed] = await tx.insert(snapshotPolicyRuns).values({ policyId: policy.id, dueAt: due }).onConflictDoNothing().returning();
        if (!claimed) return;
        const snap = await beginTake(tx, vol, { name, policyId: policy.id }, null);
        await tx
          .update(snapshotPolicyRuns)
          .set({ snapshotId: snap.id })
          .where(and(eq(snapshotPolicyRuns.policyId, policy.id), eq(snapshotPolicyRuns.dueAt, due)));
      }),
    );
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    await db.insert(snapshotPolicyRuns).values({ policyId: policy.id, dueAt: due, error: e.message }).onConflictDoNothing();
  }
}

/** CloudStack's retention: keep the newest `retention` Ready snapshots this policy made; delete the older ones. */
async function applyRetention(db: Db, policy: Policy) {
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(snapshots)
    .where(and(eq(snapshots.policyId, policy.id), eq(snapshots.state, "ready")));
  if (n <= policy.retention) return;
  const old = await db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.policyId, policy.id), eq(snapshots.state, "ready")))
    .orderBy(desc(snapshots.createdAt), desc(snapshots.id))
    .offset(policy.retention);
  for (const s of old.reverse()) {
    try {
      await deleteSnapshot(db, null, s.id, s);
    } catch (e) {
      // A busy volume (a snapshot job still running): the next sweep deletes it.
      if (!(e instanceof ServiceError)) throw e;
      return;
    }
  }
}
