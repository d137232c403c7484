import { describe, expect, it } from "vitest";
import { changeKinds, invalidatedBy, invalidatedByMessage, liveMessage, reconnectDelayMs } from "./live";

describe("live updates, client side", () => {
  it("every change kind invalidates its own router and the dashboard", () => {
    for (const k of changeKinds) expect(invalidatedBy[k]).toEqual(expect.arrayContaining([k, "dashboard"]));
  });
  it("a job's change re-reads the lists of its resource type; the system's own jobs touch no resource list", () => {
    expect(invalidatedByMessage({ kind: "job", id: "j", resourceType: "volume" })).toEqual([
      "job",
      "dashboard",
      "volume",
      "instance",
      "snapshot",
    ]);
    expect(invalidatedByMessage({ kind: "job", id: "j", resourceType: "usage" })).toEqual(["job", "dashboard"]);
    expect(invalidatedByMessage({ kind: "job", id: "j", resourceType: "webhook_delivery" })).toEqual(["job", "dashboard"]);
    // Unknown or absent (an older server): every list a job may mark busy.
    expect(invalidatedByMessage({ kind: "job", id: "j", resourceType: "account" })).toEqual(invalidatedBy.job);
    expect(invalidatedByMessage({ kind: "job", id: "j" })).toEqual(invalidatedBy.job);
    expect(invalidatedByMessage({ kind: "instance", id: "i", resourceType: "usage" })).toEqual(invalidatedBy.instance);
    expect(liveMessage('{"kind":"job","id":"j","resourceType":"usage"}')).toEqual({ kind: "job", id: "j", resourceType: "usage" });
    expect(liveMessage('{"kind":"job","id":"j","resourceType":7}')).toEqual({ kind: "job", id: "j" });
  });
  it("an event's change also re-reads where its resource is listed: a host Down refreshes the hosts and capacity", () => {
    expect(invalidatedByMessage({ kind: "event", id: "e", resourceType: "host" })).toEqual([
      "event",
      "dashboard",
      "host",
      "cluster",
      "zone",
      "capacity",
    ]);
    expect(invalidatedByMessage({ kind: "event", id: "e", resourceType: "instance" })).toEqual(invalidatedBy.event);
    expect(invalidatedByMessage({ kind: "event", id: "e" })).toEqual(invalidatedBy.event);
    expect(liveMessage('{"kind":"event","id":"e","resourceType":"host"}')).toEqual({ kind: "event", id: "e", resourceType: "host" });
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
