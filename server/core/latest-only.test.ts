import { describe, expect, it } from "vitest";
import { latestOnly } from "./latest-only";

describe("latestOnly", () => {
  it("writes one at a time, skips values overtaken while a write is in flight, and flush waits for the last", async () => {
    const written: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const w = latestOnly(async (v: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      written.push(v);
      inFlight--;
    });
    for (let v = 1; v <= 50; v++) w.report(v);
    await w.flush();
    expect(maxInFlight).toBe(1);
    expect(written[0]).toBe(1);
    expect(written.at(-1)).toBe(50);
    expect(written.length).toBeLessThan(5);
    w.report(51);
    await w.flush();
    expect(written.at(-1)).toBe(51);
  });

  it("a failed write does not stop later ones", async () => {
    const written: number[] = [];
    const w = latestOnly((v: number) => {
      if (v === 1) return Promise.reject(new Error("database hiccup"));
      written.push(v);
      return Promise.resolve();
    });
    w.report(1);
    await w.flush();
    w.report(2);
    await w.flush();
    expect(written).toEqual([2]);
  });
});
