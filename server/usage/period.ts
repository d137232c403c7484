import { sql, type SQL } from "drizzle-orm";
import { env, USAGE_PERIOD_MINUTES } from "@/server/env";

/**
 * The usage period: how long each usage record's period is (STRATUS_USAGE_PERIOD_MINUTES, one
 * of USAGE_PERIOD_MINUTES, default 60). Periods are counted from the Unix epoch, so they start on
 * the UTC day and on the hour (every allowed length divides a day; those under an hour divide it).
 * The one place that turns the setting into times and SQL.
 */
export type PeriodMinutes = (typeof USAGE_PERIOD_MINUTES)[number];

export const DAY_MINUTES = 1440;

/** The configured period length (minutes). */
export const usagePeriodMinutes = (): PeriodMinutes => env().STRATUS_USAGE_PERIOD_MINUTES as PeriodMinutes;

/** A period length, checked (it goes into SQL text). */
export function checkedPeriod(minutes: number): PeriodMinutes {
  if (!(USAGE_PERIOD_MINUTES as readonly number[]).includes(minutes))
    throw new Error(`Usage period of ${minutes} minutes: must be one of ${USAGE_PERIOD_MINUTES.join(", ")}`);
  return minutes as PeriodMinutes;
}

/** The start of the period of `minutes` that holds `d`. */
export const floorPeriod = (d: Date, minutes: number) => new Date(Math.floor(d.getTime() / (minutes * 60_000)) * minutes * 60_000);

/** SQL: the period length as an interval. */
export const periodInterval = (minutes: number) => sql.raw(`interval '${checkedPeriod(minutes)} minutes'`);

/** SQL: the start of the period of `minutes` that holds the timestamptz `t` (PostgreSQL ≥ 14 and PGlite have date_bin). */
export const periodFloorSql = (t: SQL, minutes: number) =>
  sql`date_bin(${periodInterval(minutes)}, ${t}, '1970-01-01T00:00:00Z'::timestamptz)`;
