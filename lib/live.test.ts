import { describe, expect, it } from "vitest";
import { changeKinds, invalidatedBy, liveMessage, reconnectDelayMs } from "./live";

describe("live updates, client side", () => {
  it("every change kind invalidates its own router and the dashboard", () => {
    for (const k of changeKinds) expect(invalidatedBy[k]).toEqual(expect.arrayContaining([k, "dashboard"]));
  });
  it("takes only well-formed messages of known kinds", () => {
    expect(liveMessage('{"kind":"instance","id":"a"}')).toEqual({ kind: "instance", id: "a" });
    expect(liveMessage('{"kind":"toString","id":"a"}')).toBeNull();
    expect(liveMessage('{"kind":"host","id":"a"}')).toBeNull();
    expect(liveMessage("not json")).toBeNull();
  });
  it("backs off from 1 s doubling to 60 s, ±25 % jitter", () => {
    expect(reconnectDelayMs(1, 0.5)).toBe(1000);
    expect(reconnectDelayMs(3, 0.5)).toBe(4000);
    expect(reconnectDelayMs(30, 1)).toBe(75_000);
    expect(reconnectDelayMs(30, 0)).toBe(45_000);
  });
});
