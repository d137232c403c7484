/**
 * The usage period and the aggregation interval in words, for the pages that explain when usage
 * appears (the lengths come from STRATUS_USAGE_PERIOD_MINUTES and STRATUS_USAGE_AGGREGATE_MINUTES).
 */

/** A length in minutes as words: "1 minute", "15 minutes", "1 hour", "6 hours", "1 day", "3 seconds". */
export function describeMinutes(minutes: number): string {
  const n = (v: number, unit: string) => `${v} ${unit}${v === 1 ? "" : "s"}`;
  if (minutes < 1) return n(Math.max(1, Math.round(minutes * 60)), "second");
  if (minutes % 1440 === 0) return n(minutes / 1440, "day");
  if (minutes % 60 === 0) return n(minutes / 60, "hour");
  return n(Math.round(minutes * 100) / 100, "minute");
}

/** "every hour", "every 15 minutes", "every 3 seconds". */
export const describeEvery = (minutes: number) => `every ${describeMinutes(minutes).replace(/^1 /, "")}`;
