import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * The one rule of which usage records exist for readers (reports, exports, rating, cost and
 * revenue): those of periods before the aggregation's watermark. A back-fill's helper connections
 * commit their records before the chunk moves the watermark (server/usage/parallel.ts), and a run
 * that dies leaves its rows past it; either way they are invisible until the watermark covers them.
 */
export const doneRecord = (periodStart: AnyPgColumn | SQL) =>
  sql`${periodStart} < (select a.aggregated_until from usage_aggregation a where a.id = 'usage')`;
