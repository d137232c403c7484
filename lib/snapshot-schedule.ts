/**
 * When a recurring snapshot policy is due, in its own IANA time zone (pure, so the browser shows the
 * same times the server acts on). Times are worked out on the policy's local calendar and turned
 * into instants with Intl; a local time skipped by a DST change moves forward with the clock.
 */
export const snapshotFrequencies = ["hourly", "daily", "weekly", "monthly"] as const;
export type SnapshotFrequency = (typeof snapshotFrequencies)[number];

/** Days of a weekly policy, as JavaScript numbers them: 0 Sunday … 6 Saturday. */
export const weekdays = [0, 1, 2, 3, 4, 5, 6] as const;
export type Weekday = (typeof weekdays)[number];
export const weekdayNames: Record<Weekday, string> = {
  0: "Sunday",
  1: "Monday",
  2: "Tuesday",
  3: "Wednesday",
  4: "Thursday",
  5: "Friday",
  6: "Saturday",
};

export interface SnapshotScheduleSpec {
  frequency: SnapshotFrequency;
  minute: number;
  /** daily, weekly, monthly: 0–23. */
  hour: number | null;
  /** weekly: 0 (Sunday) – 6. */
  weekday: Weekday | null;
  /** monthly: 1–28 (every month has it). */
  dayOfMonth: number | null;
  timeZone: string;
}

/** Whether `tz` is an IANA time zone name this runtime knows (not an offset like +01:00). */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock date and time at `t` in `tz`. */
function localParts(t: number, tz: string) {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(tz).formatToParts(new Date(t))) if (type !== "literal") p[type] = Number(value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** How far `tz` is ahead of UTC at `t`, in ms. */
function offsetAt(t: number, tz: string) {
  const l = localParts(t, tz);
  return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of a local wall-clock time in `tz` (two passes settle the offset around DST changes). */
function instantOf(y: number, mo: number, d: number, h: number, mi: number, tz: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let t = wall - offsetAt(wall, tz);
  t = wall - offsetAt(t, tz);
  return t;
}

/** The policy's due instants on one local calendar day. */
function dueOnDay(s: SnapshotScheduleSpec, y: number, mo: number, d: number): number[] {
  const weekday = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  switch (s.frequency) {
    case "hourly":
      return Array.from({ length: 24 }, (_, h) => instantOf(y, mo, d, h, s.minute, s.timeZone));
    case "daily":
      return [instantOf(y, mo, d, s.hour ?? 0, s.minute, s.timeZone)];
    case "weekly":
      return weekday === s.weekday ? [instantOf(y, mo, d, s.hour ?? 0, s.minute, s.timeZone)] : [];
    case "monthly":
      return d === s.dayOfMonth ? [instantOf(y, mo, d, s.hour ?? 0, s.minute, s.timeZone)] : [];
  }
}

/** Due instants on the local days from `from` days to `to` days around `at`, sorted and without repeats. */
function dueAround(s: SnapshotScheduleSpec, at: number, from: number, to: number): number[] {
  const l = localParts(at, s.timeZone);
  const out = new Set<number>();
  for (let k = from; k <= to; k++) {
    const day = new Date(Date.UTC(l.y, l.mo - 1, l.d + k));
    for (const t of dueOnDay(s, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate())) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** The latest due time at or before `now`, or null (none in the last two months). */
export function lastDueAt(s: SnapshotScheduleSpec, now: Date): Date | null {
  const t = now.getTime();
  const due = dueAround(s, t, -62, 1).filter((x) => x <= t);
  return due.length ? new Date(due[due.length - 1]!) : null;
}

/** The next `count` due times after `after`. */
export function nextDueTimes(s: SnapshotScheduleSpec, after: Date, count: number): Date[] {
  const t = after.getTime();
  return dueAround(s, t, -1, 400)
    .filter((x) => x > t)
    .slice(0, count)
    .map((x) => new Date(x));
}
