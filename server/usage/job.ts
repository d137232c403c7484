import { z } from "zod";
import type { Db } from "@/db";
import { ServiceError } from "@/server/core/errors";
import { enqueueJob } from "@/server/orchestrator/jobs/queue";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { rateUsage } from "@/server/billing/rate";
import { evaluateBalances } from "@/server/billing/low-balance";
import { evaluateAlertsSoon } from "@/server/alerts/trigger";
import { aggregateUsage } from "./aggregate";

/** `now`: aggregate the periods complete at this time instead of the clock's (tests, back-fills); `maxPeriods`: periods per transaction. */
const aggregateInput = z.object({ now: z.iso.datetime().optional(), maxPeriods: z.number().int().min(1).optional() });

declare global {
  interface StratusJobInputs {
    "usage.aggregate": typeof aggregateInput;
  }
}

/** The aggregation's job row stands for this fixed resource, so one runs at a time (one active job per resource). */
export const USAGE_AGGREGATION_RESOURCE = "00000000-0000-4000-8000-000000000001";

/**
 * usage.aggregate: folds usage facts into usage records of STRATUS_USAGE_PERIOD_MINUTES each (aggregate.ts). Every chunk commits
 * its records with the watermark, so an attempt that dies is simply run again: what it committed
 * is not redone, and what it did not is done. Then the rating prices what the aggregation (re)wrote
 * into charges (server/billing/rate.ts; its own watermark, so a rating that dies is redone next time),
 * and new charges are checked against the low-balance policies at once (not at the next sweep).
 */
export const usageAggregateJob = defineJob({
  type: "usage.aggregate",
  input: aggregateInput,
  async run(ctx) {
    const r = await aggregateUsage(ctx.db, { now: ctx.input.now ? new Date(ctx.input.now) : undefined, maxPeriods: ctx.input.maxPeriods });
    await ctx.progress(
      90,
      `${r.records} records for ${r.from.toISOString()} – ${r.until.toISOString()} (${r.lateResources} late resources)`,
    );
    const rated = await rateUsage(ctx.db);
    if (rated.charges > 0) {
      await evaluateBalances(ctx.db);
      // The low-balance alert follows the new charges now, not at the next scheduled evaluation.
      evaluateAlertsSoon(ctx.db);
    }
    await ctx.progress(
      100,
      `${r.records} records for ${r.from.toISOString()} – ${r.until.toISOString()} (${r.lateResources} late resources); ${rated.charges} charges for ${rated.resources} resources`,
    );
  },
});

/** Queues an aggregation unless one is already queued or running (the schedule's tick; idempotent). */
export async function enqueueUsageAggregation(db: Db, input: z.input<typeof aggregateInput> = {}) {
  try {
    return await enqueueJob(db, {
      type: "usage.aggregate",
      resourceType: "usage",
      resourceId: USAGE_AGGREGATION_RESOURCE,
      input,
      maxAttempts: 10,
    });
  } catch (e) {
    if (e instanceof ServiceError && e.code === "CONFLICT") return null;
    throw e;
  }
}
