import { describe, expect, it } from "vitest";
import { withGaps } from "./instance-metrics";

describe("metric charts", () => {
  it("break the line where samples stopped, instead of spacing samples evenly", () => {
    const s = (t: number, cpu: number) => ({ t, cpu });
    const out = withGaps([s(0, 1), s(30, 2), s(60, 3), s(600, 4), s(630, 5)]);
    expect(out.map((p) => p.t)).toEqual([0, 30, 60, 90, 600, 630]);
    expect(out[3]).toEqual({ t: 90, cpu: null });
  });

  it("leave regular samples alone", () => {
    const even = [0, 30, 60, 90].map((t) => ({ t, cpu: t }));
    expect(withGaps(even)).toEqual(even);
  });
});
