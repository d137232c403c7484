import { describe, expect, it } from "vitest";
import { isTimeZone, lastDueAt, nextDueTimes, type SnapshotScheduleSpec } from "./snapshot-schedule";

const spec = (s: Partial<SnapshotScheduleSpec>): SnapshotScheduleSpec => ({
  frequency: "daily",
  minute: 0,
  hour: null,
  weekday: null,
  dayOfMonth: null,
  timeZone: "UTC",
  ...s,
});
const iso = (d: Date[]) => d.map((x) => x.toISOString());

describe("snapshot policy times", () => {
  it("hourly at a minute, in a zone half an hour off UTC", () => {
    const s = spec({ frequency: "hourly", minute: 15, timeZone: "Asia/Kolkata" }); // UTC+05:30
    expect(iso(nextDueTimes(s, new Date("2026-03-01T10:00:00Z"), 3))).toEqual([
      "2026-03-01T10:45:00.000Z",
      "2026-03-01T11:45:00.000Z",
      "2026-03-01T12:45:00.000Z",
    ]);
    expect(lastDueAt(s, new Date("2026-03-01T10:44:59Z"))!.toISOString()).toBe("2026-03-01T09:45:00.000Z");
    expect(lastDueAt(s, new Date("2026-03-01T10:45:00Z"))!.toISOString()).toBe("2026-03-01T10:45:00.000Z");
  });

  it("daily at 02:30 Berlin time follows the DST change", () => {
    const s = spec({ frequency: "daily", hour: 2, minute: 30, timeZone: "Europe/Berlin" });
    // 2026-03-29: clocks go from 02:00 to 03:00; 02:30 does not exist and moves forward to 03:30 CEST.
    expect(iso(nextDueTimes(s, new Date("2026-03-27T12:00:00Z"), 3))).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
  });

  it("weekly on a weekday and monthly on a day, in New York", () => {
    const weekly = spec({ frequency: "weekly", weekday: 1, hour: 9, minute: 0, timeZone: "America/New_York" });
    expect(iso(nextDueTimes(weekly, new Date("2026-11-30T15:00:00Z"), 2))).toEqual([
      "2026-12-07T14:00:00.000Z",
      "2026-12-14T14:00:00.000Z",
    ]);
    const monthly = spec({ frequency: "monthly", dayOfMonth: 28, hour: 23, minute: 59, timeZone: "America/New_York" });
    expect(iso(nextDueTimes(monthly, new Date("2026-01-29T12:00:00Z"), 2))).toEqual([
      "2026-03-01T04:59:00.000Z",
      "2026-03-29T03:59:00.000Z",
    ]);
    expect(lastDueAt(monthly, new Date("2026-03-10T00:00:00Z"))!.toISOString()).toBe("2026-03-01T04:59:00.000Z");
  });

  it("accepts IANA zone names only", () => {
    expect(["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"].map(isTimeZone)).toEqual([true, true, true]);
    expect(["Mars/Olympus", "+01:00", "", "Europe/../etc"].map(isTimeZone)).toEqual([false, false, false, false]);
  });
});
