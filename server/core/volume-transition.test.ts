import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { diskOfferings, volumes } from "@/db/schema";
import { IllegalVolumeTransitionError } from "@/lib/volume-state";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { transitionVolume } from "./volume-transition";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const stateOf = async (id: string) => (await h.db.select({ state: volumes.state }).from(volumes).where(eq(volumes.id, id)))[0]!.state;

async function allocatedVolume(name: string) {
  const [o] = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
  const { zoneId } = await deployChoicesByName(h.db);
  return (await api(h.db, t.callers.tenant).volume.create({ name, zoneId, diskOfferingId: o!.id })).id;
}

describe(`transitionVolume, the one guarded volume state change (${testDbKind()})`, () => {
  it("refuses a move the state table does not allow, and changes nothing", async () => {
    const id = await allocatedVolume("vt-illegal");
    await expect(h.db.transaction((tx) => transitionVolume(tx, id, { from: "allocated", to: "ready" }))).rejects.toBeInstanceOf(
      IllegalVolumeTransitionError,
    );
    expect(await stateOf(id)).toBe("allocated");
  });

  it("of two concurrent moves from one state, exactly one wins", async () => {
    const id = await allocatedVolume("vt-race");
    const results = await Promise.all([
      h.db.transaction((tx) => transitionVolume(tx, id, { from: "allocated", to: "destroyed", set: { destroyedAt: new Date() } })),
      h.db.transaction((tx) => transitionVolume(tx, id, { from: "allocated", to: "attaching" })),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(["destroyed", "attaching"]).toContain(await stateOf(id));
    // Once moved, a move from the old state matches nothing.
    expect(await transitionVolume(h.db, id, { from: "allocated", to: "error" })).toBeNull();
  });
});
