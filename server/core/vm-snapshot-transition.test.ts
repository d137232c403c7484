import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { instances, vmSnapshots } from "@/db/schema";
import { canMoveVmSnapshot, IllegalVmSnapshotTransitionError, vmSnapshotStates } from "@/lib/vm-snapshot-state";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { transitionVmSnapshot } from "./vm-snapshot-transition";

let h: DbHandle;
let snapId: string;

beforeAll(async () => {
  h = await openTestDb();
  const t = await seedTenancy(h.db);
  const [vm] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "vst-vm" });
  const [row] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
  const [snap] = await h.db
    .insert(vmSnapshots)
    .values({
      instanceId: row!.id,
      accountId: row!.accountId,
      domainId: row!.domainId,
      domainPath: row!.domainPath,
      zoneId: row!.zoneId,
      name: "vst",
      type: "disk_and_memory",
      state: "ready",
    })
    .returning();
  snapId = snap!.id;
});
afterAll(() => h.close());

const stateOf = async () => (await h.db.select({ state: vmSnapshots.state }).from(vmSnapshots).where(eq(vmSnapshots.id, snapId)))[0]!.state;

describe(`transitionVmSnapshot, the one guarded VM-snapshot state change (${testDbKind()})`, () => {
  it("Deleted is final, and nothing goes back to Creating", () => {
    for (const s of vmSnapshotStates) {
      expect(canMoveVmSnapshot("deleted", s)).toBe(false);
      expect(canMoveVmSnapshot(s, "creating")).toBe(false);
    }
  });

  it("refuses a move the state table does not allow, and changes nothing", async () => {
    await expect(transitionVmSnapshot(h.db, snapId, { from: "ready", to: "error" })).rejects.toBeInstanceOf(
      IllegalVmSnapshotTransitionError,
    );
    expect(await stateOf()).toBe("ready");
  });

  it("of a concurrent revert and delete from Ready, exactly one wins", async () => {
    const results = await Promise.all([
      h.db.transaction((tx) => transitionVmSnapshot(tx, snapId, { from: "ready", to: "reverting" })),
      h.db.transaction((tx) => transitionVmSnapshot(tx, snapId, { from: "ready", to: "deleting" })),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(["reverting", "deleting"]).toContain(await stateOf());
    expect(await transitionVmSnapshot(h.db, snapId, { from: "ready", to: "deleting" })).toBeNull();
  });
});
