import { describe, expect, it } from "vitest";
import {
  allowedTransitions,
  assertTransition,
  canTransition,
  IllegalTransitionError,
  operationAllowed,
  operations,
  type VmOperation,
  type VmState,
  vmStates,
} from "./vm-state";

/**
 * The expected state machine, written out independently of vm-state.ts: rows are "from", and a
 * state listed is an allowed "to". Every other pair of the 11 × 11 matrix must be refused.
 */
const expected: Record<VmState, VmState[]> = {
  allocated: ["starting", "error", "destroyed"],
  starting: ["running", "stopped", "error", "unknown"],
  running: ["stopping", "stopped", "migrating", "error", "unknown"],
  stopping: ["stopped", "running", "error", "unknown"],
  stopped: ["starting", "running", "destroyed", "error", "unknown"],
  migrating: ["running", "error", "unknown"],
  error: ["starting", "stopped", "running", "destroyed", "expunging"],
  unknown: ["running", "stopped", "error", "destroyed"],
  destroyed: ["stopped", "expunging"],
  expunging: ["expunged", "error"],
  expunged: [],
};

/** Which states each user operation may start from. */
const expectedOperations: Record<VmOperation, VmState[]> = {
  start: ["stopped", "error"],
  stop: ["running", "unknown", "error"],
  reboot: ["running"],
  destroy: ["allocated", "running", "stopped", "error", "unknown"],
  recover: ["destroyed"],
  expunge: ["destroyed", "error"],
  changeOffering: ["stopped"],
};

/**
 * The state path each operation drives a VM along, from each state it may start from (the API's
 * first move, then the job's moves): every hop must be a legal transition.
 */
const operationPaths: Record<VmOperation, Partial<Record<VmState, VmState[]>>> = {
  start: { stopped: ["stopped", "starting", "running"], error: ["error", "starting", "running"] },
  stop: { running: ["running", "stopping", "stopped"], unknown: ["unknown", "stopped"], error: ["error", "stopped"] },
  reboot: { running: ["running"] },
  destroy: {
    allocated: ["allocated", "destroyed"],
    running: ["running", "stopping", "stopped", "destroyed"],
    stopped: ["stopped", "destroyed"],
    error: ["error", "destroyed"],
    unknown: ["unknown", "destroyed"],
  },
  recover: { destroyed: ["destroyed", "stopped"] },
  expunge: { destroyed: ["destroyed", "expunging", "expunged"], error: ["error", "expunging", "expunged"] },
  changeOffering: { stopped: ["stopped"] },
};

describe("VM state machine", () => {
  it("knows every state of the database enum", () => {
    expect(Object.keys(allowedTransitions).sort()).toEqual([...vmStates].sort());
    expect(Object.keys(expected).sort()).toEqual([...vmStates].sort());
  });

  it("allows exactly the expected transitions over the full matrix", () => {
    const wrong: string[] = [];
    let allowed = 0;
    for (const from of vmStates) {
      for (const to of vmStates) {
        const should = expected[from].includes(to);
        if (should) allowed++;
        if (canTransition(from, to) !== should) wrong.push(`${from} → ${to}: expected ${should ? "allowed" : "refused"}`);
        if (should) expect(() => assertTransition(from, to)).not.toThrow();
        else {
          const err = (() => {
            try {
              assertTransition(from, to);
              return null;
            } catch (e) {
              return e;
            }
          })();
          expect(err, `${from} → ${to}`).toBeInstanceOf(IllegalTransitionError);
          expect((err as IllegalTransitionError).message).toBe(`A VM cannot go from ${from} to ${to}`);
          expect((err as IllegalTransitionError).from).toBe(from);
          expect((err as IllegalTransitionError).to).toBe(to);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(allowed).toBe(37);
  });

  it("never stays in place, never leaves Expunged, and reaches Expunged only through Expunging", () => {
    for (const s of vmStates) expect(canTransition(s, s), s).toBe(false);
    for (const s of vmStates) expect(canTransition("expunged", s)).toBe(false);
    expect(vmStates.filter((s) => canTransition(s, "expunged"))).toEqual(["expunging"]);
  });

  it("every state can reach Expunged (no VM is stuck for good)", () => {
    const reach = new Set<VmState>(["expunged"]);
    for (let changed = true; changed;) {
      changed = false;
      for (const s of vmStates) {
        if (!reach.has(s) && allowedTransitions[s].some((t) => reach.has(t))) {
          reach.add(s);
          changed = true;
        }
      }
    }
    expect([...reach].sort()).toEqual([...vmStates].sort());
  });

  it("has the expected operations table over every state", () => {
    expect(Object.keys(operations).sort()).toEqual(Object.keys(expectedOperations).sort());
    const wrong: string[] = [];
    for (const op of Object.keys(expectedOperations) as VmOperation[]) {
      for (const s of vmStates) {
        const should = expectedOperations[op].includes(s);
        if (operationAllowed(op, s) !== should) wrong.push(`${op} from ${s}: expected ${should ? "allowed" : "refused"}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("every operation, from every state it allows, moves only along legal transitions", () => {
    for (const op of Object.keys(operations) as VmOperation[]) {
      for (const from of operations[op] as readonly VmState[]) {
        const path = operationPaths[op][from];
        expect(path, `${op} from ${from} has a path`).toBeDefined();
        expect(path![0]).toBe(from);
        for (let i = 1; i < path!.length; i++)
          expect(canTransition(path![i - 1]!, path![i]!), `${op}: ${path![i - 1]} → ${path![i]}`).toBe(true);
      }
    }
  });

  it("no operation is offered on a VM in transition or gone", () => {
    for (const s of ["starting", "stopping", "migrating", "expunging", "expunged"] as const) {
      expect(
        (Object.keys(operations) as VmOperation[]).filter((op) => operationAllowed(op, s)),
        s,
      ).toEqual([]);
    }
  });
});
