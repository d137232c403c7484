/**
 * npm run bench:usage -- --events 1000000 [--accounts 1000] [--hours 168]: usage aggregation.
 * Writes `events` synthetic usage facts (VMs started and stopped, volumes resized, snapshots kept;
 * test/usage-facts.ts) for `accounts` accounts over `hours` hours with set-based INSERTs, then
 * aggregates them all into hourly usage records (server/usage/aggregate.ts) and prints a final
 * JSON line {"events","accounts","aggregateSeconds","eventsPerSec","records","rssMiB"}.
 * PostgreSQL at DATABASE_URL (a fresh database made and dropped), PGlite in memory otherwise.
 */
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { computeOfferings, domains } from "../db/schema";
import { seed } from "../db/seed";
import { aggregateUsage } from "../server/usage/aggregate";
import { insertSyntheticFacts } from "../test/usage-facts";
import { openBenchDb } from "./bench-db";
import { backendCpuSeconds } from "./bench-cpu";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    accounts: { type: "string", default: "1000" },
    hours: { type: "string", default: "168" },
    parallel: { type: "string" },
  },
});
const EVENTS = Number(args.events);
const ACCOUNTS = Number(args.accounts);
const HOURS = Number(args.hours);
const PARALLEL = args.parallel === undefined ? undefined : Number(args.parallel);
const log = (m: string) => console.error(`[bench] ${m}`);
const BATCH = 1_000_000;

async function main() {
  const { h, kind, drop } = await openBenchDb();
  let peakRss = 0;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    await h.migrate();
    await seed(h.db, { demo: true });
    const [d] = await h.db.select().from(domains).limit(1);
    const [o] = await h.db.select().from(computeOfferings).limit(1);
    const start = new Date(Date.UTC(2026, 9, 1));
    let t = performance.now();
    // In batches of a million, each its own INSERT … SELECT generate_series (no rows in JavaScript).
    for (let offset = 0; offset < EVENTS; offset += BATCH)
      await insertSyntheticFacts(h.db, {
        events: Math.min(BATCH, EVENTS - offset),
        offset,
        accounts: ACCOUNTS,
        start,
        hours: HOURS,
        domainId: d!.id,
        offeringId: o!.id,
        salt: "bench",
      });
    await h.db.execute(sql`analyze usage_events`);
    log(`${EVENTS} facts written in ${((performance.now() - t) / 1000).toFixed(1)} s (${kind})`);
    const cpu0 = kind === "postgres" ? await backendCpuSeconds(h.db) : null;
    t = performance.now();
    const r = await aggregateUsage(h.db, {
      now: new Date(start.getTime() + (HOURS + 24) * 3_600_000),
      maxPeriods: HOURS + 24,
      parallel: PARALLEL,
    });
    const aggregateSeconds = (performance.now() - t) / 1000;
    const cpu1 = kind === "postgres" ? await backendCpuSeconds(h.db) : null;
    log(`aggregated ${r.from.toISOString()} – ${r.until.toISOString()}: ${r.records} records`);
    clearInterval(sample);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(
      JSON.stringify({
        events: EVENTS,
        accounts: ACCOUNTS,
        aggregateSeconds: Math.round(aggregateSeconds * 100) / 100,
        eventsPerSec: Math.round(EVENTS / aggregateSeconds),
        records: r.records,
        rssMiB: Math.round(peakRss / 1048576),
        db: kind,
        ...(cpu0 && cpu1 ? { dbCpuSeconds: Math.round((cpu1.total - cpu0.before(cpu1.pids)) * 100) / 100 } : {}),
        ...(PARALLEL !== undefined ? { parallel: PARALLEL } : {}),
      }),
    );
  } finally {
    clearInterval(sample);
    await h.close();
    await drop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
