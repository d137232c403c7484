import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { diskOfferings, jobs, snapshotPolicies, snapshotPolicyRuns, snapshots, volumes } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { runSnapshotPolicies } from "./policies";

/**
 * Recurring snapshot policies on a clock the test drives: a due time starts one snapshot however
 * many sweeps run at once, and retention keeps the newest N the policy made.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let rootId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name: "policy-vm" });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  rootId = (await h.db.select().from(volumes).where(eq(volumes.instanceId, vm!.id)))[0]!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
};
const policySnapshots = (policyId: string) =>
  h.db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.policyId, policyId), eq(snapshots.state, "ready")))
    .orderBy(snapshots.createdAt);
/** Waits until no job works on the volume (the sweep's snapshot or delete jobs). */
const idle = () =>
  waitFor("the volume's jobs to finish", async () => {
    const active = await h.db.select().from(jobs).where(eq(jobs.resourceId, rootId));
    return active.every((j) => j.status === "succeeded" || j.status === "failed");
  });

describe(`snapshot policies (${testDbKind()})`, () => {
  it("validates the policy, naming the field", async () => {
    const base = { volumeId: rootId, frequency: "weekly" as const, minute: 0, hour: 3, timeZone: "Europe/Berlin", retention: 2 };
    const noWeekday = await error(tenant().snapshot.createPolicy(base));
    expect([noWeekday.code, noWeekday.message]).toEqual(["BAD_REQUEST", expect.stringContaining("weekday")]);
    const badDay = await error(tenant().snapshot.createPolicy({ ...base, weekday: 7 as 0 }));
    expect([badDay.code, badDay.message]).toEqual(["BAD_REQUEST", expect.stringContaining("Weekday must be 0 (Sunday) to 6 (Saturday)")]);
    const badZone = await error(tenant().snapshot.createPolicy({ ...base, weekday: 1, timeZone: "Mars/Olympus" }));
    expect(badZone.message).toContain("Time zone must be an IANA time zone");
    expect(await h.db.select().from(snapshotPolicies)).toEqual([]);
    const other = await error(api(h.db, t.callers.globex).snapshot.createPolicy({ ...base, weekday: 1 }));
    expect(other.code).toBe("NOT_FOUND");
  });

  it("fires once per due time under two sweeps, and retention deletes the oldest", async () => {
    const policy = await tenant().snapshot.createPolicy({
      volumeId: rootId,
      frequency: "hourly",
      minute: 30,
      timeZone: "Asia/Kolkata", // UTC+05:30: minute 30 local is minute 0 UTC
      retention: 2,
    });
    // Made "now": move its birth back so the test's clock (in 2030) sees it existing.
    await h.db
      .update(snapshotPolicies)
      .set({ createdAt: new Date("2030-01-01T00:00:00Z") })
      .where(eq(snapshotPolicies.id, policy.id));
    expect(policy.nextRuns).toHaveLength(3);
    expect(policy.nextRuns.every((d) => new Date(d).getUTCMinutes() === 0)).toBe(true);

    const clock = (hhmm: string) => new Date(`2030-01-01T${hhmm}:00Z`);
    // Before the first due time after its creation: nothing.
    await runSnapshotPolicies(h.db, new Date("2029-12-31T23:59:00Z"));
    expect(await h.db.select().from(snapshotPolicyRuns)).toEqual([]);

    for (const [i, at] of ["01:00", "01:20", "02:05", "03:00"].entries()) {
      // Two processes sweep at the same moment: one snapshot per due time.
      await Promise.all([runSnapshotPolicies(h.db, clock(at)), runSnapshotPolicies(h.db, clock(at))]);
      await idle();
      const runs = await h.db.select().from(snapshotPolicyRuns).where(eq(snapshotPolicyRuns.policyId, policy.id));
      expect(runs.map((r) => r.dueAt.toISOString()).sort(), `after ${at} (${i})`).toEqual(
        ["01:00", "02:00", "03:00"].slice(0, i < 2 ? 1 : i).map((x) => clock(x).toISOString()),
      );
      expect(runs.every((r) => r.snapshotId && !r.error)).toBe(true);
    }
    const all = await h.db.select().from(snapshots).where(eq(snapshots.policyId, policy.id));
    expect(all).toHaveLength(3);
    // Retention (2): the next sweep deletes the oldest.
    const [oldest] = await policySnapshots(policy.id);
    await runSnapshotPolicies(h.db, clock("03:10"));
    await idle();
    const kept = await policySnapshots(policy.id);
    expect(kept).toHaveLength(2);
    expect(kept.map((s) => s.id)).not.toContain(oldest!.id);
    expect((await h.db.select().from(snapshots).where(eq(snapshots.id, oldest!.id)))[0]!.state).toBe("destroyed");
    // A snapshot taken by hand is not the policy's: retention leaves it.
    const manual = await tenant().snapshot.take({ volumeId: rootId, name: "by-hand" });
    expect((await waitForJob(h.db, manual.jobId)).status).toBe("succeeded");
    await runSnapshotPolicies(h.db, clock("04:00"));
    await idle();
    await runSnapshotPolicies(h.db, clock("04:10"));
    await idle();
    expect(await policySnapshots(policy.id)).toHaveLength(2);
    expect((await h.db.select().from(snapshots).where(eq(snapshots.id, manual.id)))[0]!.state).toBe("ready");

    expect((await tenant().snapshot.policies({ volumeId: rootId })).map((p) => p.id)).toEqual([policy.id]);
    expect((await error(api(h.db, t.callers.globex).snapshot.deletePolicy({ id: policy.id }))).code).toBe("NOT_FOUND");
    await tenant().snapshot.deletePolicy({ id: policy.id });
    expect(await tenant().snapshot.policies({ volumeId: rootId })).toEqual([]);
  });

  it("a destroyed volume's policy rests (no run, no failed run), wakes on recover and is deleted at expunge", async () => {
    const zoneId = (await deployChoicesByName(h.db)).zoneId;
    const [small] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
    const vol = await tenant().volume.create({ name: "policy-data", zoneId, diskOfferingId: small!.id });
    const policy = await tenant().snapshot.createPolicy({
      volumeId: vol.id,
      frequency: "daily",
      minute: 0,
      hour: 5,
      timeZone: "UTC",
      retention: 1,
    });
    await h.db
      .update(snapshotPolicies)
      .set({ createdAt: new Date("2030-01-01T00:00:00Z") })
      .where(eq(snapshotPolicies.id, policy.id));
    const runsOf = () => h.db.select().from(snapshotPolicyRuns).where(eq(snapshotPolicyRuns.policyId, policy.id));
    // Allocated (never placed): the due run is recorded with its reason, as before.
    await runSnapshotPolicies(h.db, new Date("2030-01-01T05:01:00Z"));
    expect((await runsOf()).map((r) => r.error)).toEqual([expect.stringContaining("allocated")]);
    await tenant().volume.destroy({ id: vol.id });
    await runSnapshotPolicies(h.db, new Date("2030-01-02T05:01:00Z"));
    expect(await runsOf()).toHaveLength(1);
    await tenant().volume.recover({ id: vol.id });
    await runSnapshotPolicies(h.db, new Date("2030-01-03T05:01:00Z"));
    expect(await runsOf()).toHaveLength(2);
    await tenant().volume.destroy({ id: vol.id });
    const expunged = await tenant().volume.expunge({ id: vol.id });
    expect((await waitForJob(h.db, expunged.jobId)).status).toBe("succeeded");
    expect(await h.db.select().from(snapshotPolicies).where(eq(snapshotPolicies.id, policy.id))).toEqual([]);
  });
});
