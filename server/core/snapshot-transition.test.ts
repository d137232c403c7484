import { describe, expect, it } from "vitest";
import type { DbOrTx } from "@/db";
import { canMoveSnapshot, snapshotStates } from "@/lib/snapshot-state";
import { transitionSnapshot } from "./snapshot-transition";

describe("the snapshot state machine", () => {
  it("allows only Creating → Ready/Error and Ready/Error → Destroyed", () => {
    const moves = snapshotStates.flatMap((f) => snapshotStates.filter((t) => canMoveSnapshot(f, t)).map((t) => `${f}→${t}`));
    expect(moves).toEqual(["creating→ready", "creating→error", "ready→destroyed", "error→destroyed"]);
  });

  it("refuses a move the table does not allow before touching the database", async () => {
    const untouchable = new Proxy({}, { get: () => expect.unreachable("the database was used") }) as DbOrTx;
    await expect(transitionSnapshot(untouchable, "x", { from: "destroyed", to: "ready" })).rejects.toThrow(
      "A snapshot cannot go from destroyed to ready",
    );
    await expect(transitionSnapshot(untouchable, "x", { from: [], to: "ready" })).rejects.toThrow("at least one state");
  });
});
