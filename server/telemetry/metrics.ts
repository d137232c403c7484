import { sql } from "drizzle-orm";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "@/db";
import { rowsOf } from "@/db/rows";
import { processSingleton } from "@/lib/process-singleton";

/**
 * This process's Prometheus metrics (prom-client). Counters and histograms are observed where things
 * happen (job runner, reconciler, HTTP server); gauges of the cloud's state (jobs, hosts, VMs,
 * alerts) are read from the database when scraped, so every process reports the same figures.
 */
function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "stratus_" });
  const m = {
    registry,
    jobDuration: new Histogram({
      name: "stratus_job_duration_seconds",
      help: "Time one attempt of a job took in this process, by job type and outcome",
      labelNames: ["type", "outcome"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers: [registry],
    }),
    deploys: new Counter({
      name: "stratus_deploys_total",
      help: "VM deploy job attempts run by this process, by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    reconcileCycle: new Histogram({
      name: "stratus_reconcile_cycle_seconds",
      help: "Duration of a whole reconciler cycle over every host",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    reconcileBatch: new Histogram({
      name: "stratus_reconcile_batch_seconds",
      help: "Duration of one reconciler host batch (hosts reconciled in parallel)",
      labelNames: ["hosts"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    http: new Histogram({
      name: "stratus_http_request_duration_seconds",
      help: "HTTP requests served by this process, by method, route group and status code",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    jobs: new Gauge({
      name: "stratus_jobs",
      help: "Jobs by type and state",
      labelNames: ["type", "state"] as const,
      registers: [registry],
    }),
    hosts: new Gauge({
      name: "stratus_hosts",
      help: "Hosts by resource state and connection status",
      labelNames: ["state", "status"] as const,
      registers: [registry],
    }),
    vms: new Gauge({ name: "stratus_vms", help: "Virtual machines by state", labelNames: ["state"] as const, registers: [registry] }),
    alerts: new Gauge({
      name: "stratus_alerts_open",
      help: "Open alerts by severity",
      labelNames: ["severity"] as const,
      registers: [registry],
    }),
    consoles: new Gauge({ name: "stratus_console_sessions", help: "Console sessions open in this process", registers: [registry] }),
    dbPing: new Gauge({ name: "stratus_db_ping_seconds", help: "Round trip of a trivial query to the database", registers: [registry] }),
    dbPoolMax: new Gauge({
      name: "stratus_db_pool_max_connections",
      help: "Connections the database client may open (1 for embedded PGlite)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    dbUp: new Gauge({ name: "stratus_db_up", help: "1 when the database answered the scrape's queries", registers: [registry] }),
  };
  return m;
}

const metrics = () => processSingleton("telemetry.metrics", create);

export function observeJob(type: string, outcome: string, seconds: number) {
  const m = metrics();
  m.jobDuration.observe({ type, outcome }, seconds);
  if (type === "vm.deploy") m.deploys.inc({ outcome });
}
export const observeReconcileCycle = (seconds: number) => metrics().reconcileCycle.observe(seconds);
export const observeReconcileBatch = (hosts: number, seconds: number) =>
  metrics().reconcileBatch.observe({ hosts: String(hosts) }, seconds);

/** A bounded route label: the API area of a path, never its ids (they would explode the series). */
export function routeGroup(url: string): string {
  const path = url.split("?")[0] ?? "/";
  if (path.startsWith("/api/trpc/")) return "/api/trpc";
  if (path.startsWith("/_next/")) return "/_next";
  const api = /^\/api\/([a-z-]+)/.exec(path);
  if (api) return `/api/${api[1]}`;
  if (path === "/metrics") return "/metrics";
  return "page";
}
export const observeHttp = (method: string, url: string, status: number, seconds: number) =>
  metrics().http.observe(
    { method: /^[A-Z]{3,7}$/.test(method) ? method : "OTHER", route: routeGroup(url), status: String(status) },
    seconds,
  );

export interface ScrapeSources {
  db: Db;
  dbKind: "pglite" | "postgres";
  dbPoolMax: number;
  consoleSessions: () => number;
}

/** The Prometheus text exposition of this process, with the database's gauges refreshed. */
export async function renderMetrics(src: ScrapeSources): Promise<{ contentType: string; body: string }> {
  const m = metrics();
  m.consoles.set(src.consoleSessions());
  m.dbPoolMax.reset();
  m.dbPoolMax.set({ kind: src.dbKind }, src.dbPoolMax);
  try {
    const t0 = performance.now();
    await src.db.execute(sql`select 1`);
    m.dbPing.set((performance.now() - t0) / 1000);
    const jobs = rowsOf<{ type: string; status: string; n: number }>(
      await src.db.execute(sql`select type, status::text as status, count(*)::int as n from jobs group by 1, 2`),
    );
    const hosts = rowsOf<{ state: string; status: string; n: number }>(
      await src.db.execute(sql`select state::text as state, status::text as status, count(*)::int as n from hosts group by 1, 2`),
    );
    const vms = rowsOf<{ state: string; n: number }>(
      await src.db.execute(sql`select state::text as state, count(*)::int as n from instances group by 1`),
    );
    const alerts = rowsOf<{ severity: string; n: number }>(
      await src.db.execute(sql`select severity::text as severity, count(*)::int as n from alerts where state = 'open' group by 1`),
    );
    m.jobs.reset();
    for (const r of jobs) m.jobs.set({ type: r.type, state: r.status }, Number(r.n));
    m.hosts.reset();
    for (const r of hosts) m.hosts.set({ state: r.state, status: r.status }, Number(r.n));
    m.vms.reset();
    for (const r of vms) m.vms.set({ state: r.state }, Number(r.n));
    m.alerts.reset();
    for (const s of ["warning", "critical"]) m.alerts.set({ severity: s }, Number(alerts.find((a) => a.severity === s)?.n ?? 0));
    m.dbUp.set(1);
  } catch {
    m.dbUp.set(0);
  }
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}
