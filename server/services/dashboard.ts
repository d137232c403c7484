import { and, count, desc, eq, gt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { accounts, alerts, charges, domains, hosts, instances, jobs, resourceCounters } from "@/db/schema";
import { vmStates, type VmState } from "@/lib/vm-state";
import { effectiveRules, type AlertRuleKey } from "@/server/alerts/rules";
import { type Caller, isDomainAdmin, isRootAdmin } from "@/server/authz/caller";
import { accountScope, instanceScope } from "@/server/authz/scopes";
import { billingOverview } from "@/server/billing/overview";
import { costRevenue } from "@/server/billing/price-lists";
import { monthRange } from "@/server/billing/statements";
import { accountLimits, domainLimits } from "@/server/core/limits";
import { env } from "@/server/env";
import { usagePeriodMinutes } from "@/server/usage/period";
import { alertScope } from "./alerts";
import { capacitySummary } from "./capacity";
import { listEvents } from "./events";
import { addressesByZone } from "./infrastructure/capacity";
import { assertInfra } from "./infrastructure/common";
import { listInstances } from "./instances/queries";
import { COUNT_CAP } from "./paging";

/**
 * The dashboards' cards: small aggregates computed by the database, each in the caller's scope
 * (the same scope conditions the lists use), counts capped at COUNT_CAP so a cloud of a million
 * VMs costs a bounded read per card.
 */

/** A count that stopped at COUNT_CAP: `capped` says "more than `count`". */
export interface CappedCount {
  count: number;
  capped: boolean;
}
const capped = (n: number): CappedCount => ({ count: Math.min(n, COUNT_CAP), capped: n > COUNT_CAP });

// Expunged VMs are gone: no card counts them.
const countedStates = vmStates.filter((s) => s !== "expunged");

/** VMs in the caller's scope per state, each count capped (one capped index scan per state). */
export async function vmStateCounts(db: DbOrTx, caller: Caller): Promise<({ state: VmState } & CappedCount)[]> {
  const scope = instanceScope(caller) ?? sql`true`;
  const rows = rowsOf<{ state: VmState; n: number }>(
    await db.execute(sql`
      select s.state::text as state,
        (select count(*)::int from (select 1 from ${instances} where ${instances.state} = s.state and ${scope} limit ${COUNT_CAP + 1}) x) as n
      from unnest(${`{${countedStates.join(",")}}`}::vm_state[]) s(state)`),
  );
  return rows.map((r) => ({ state: r.state, ...capped(Number(r.n)) }));
}

/** Root admin: hosts by status (maintenance apart), failed jobs in the last hour, open alerts by severity. */
export async function health(db: DbOrTx, caller: Caller, now = new Date()) {
  assertInfra(caller, "read");
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const [[h], [failed], alertRows] = await Promise.all([
    db
      .select({
        up: sql<number>`count(*) filter (where ${hosts.state} <> 'maintenance' and ${hosts.status} = 'up')::int`,
        disconnected: sql<number>`count(*) filter (where ${hosts.state} <> 'maintenance' and ${hosts.status} = 'disconnected')::int`,
        down: sql<number>`count(*) filter (where ${hosts.state} <> 'maintenance' and ${hosts.status} = 'down')::int`,
        maintenance: sql<number>`count(*) filter (where ${hosts.state} = 'maintenance')::int`,
      })
      .from(hosts),
    db.select({ n: count() }).from(
      db
        .select({ one: sql`1` })
        .from(jobs)
        .where(and(eq(jobs.status, "failed"), gt(jobs.finishedAt, hourAgo)))
        .limit(COUNT_CAP + 1)
        .as("failed"),
    ),
    db
      .select({ severity: alerts.severity, n: count() })
      .from(alerts)
      .where(and(alertScope(caller), eq(alerts.state, "open")))
      .groupBy(alerts.severity),
  ]);
  const bySeverity = new Map(alertRows.map((r) => [r.severity, Number(r.n)]));
  return {
    hosts: {
      up: Number(h?.up ?? 0),
      disconnected: Number(h?.disconnected ?? 0),
      down: Number(h?.down ?? 0),
      maintenance: Number(h?.maintenance ?? 0),
    },
    failedJobsLastHour: capped(Number(failed?.n ?? 0)),
    openAlerts: { warning: bySeverity.get("warning") ?? 0, critical: bySeverity.get("critical") ?? 0 },
  };
}

export interface Meter {
  key: "cpu" | "memory" | "primaryStorage" | "secondaryStorage" | "publicIps" | "vlans";
  label: string;
  unit: "MHz" | "MiB" | "GiB" | "";
  used: number;
  total: number;
  /** The alert rule's effective thresholds (%), where a rule watches this resource. */
  warning: number | null;
  critical: number | null;
}

const ruleOf: Partial<Record<Meter["key"], AlertRuleKey>> = {
  cpu: "capacity.cpu",
  memory: "capacity.memory",
  primaryStorage: "capacity.storage",
};

/**
 * Root admin: capacity per zone (CPU, memory, primary and secondary storage, public IPs, VLANs)
 * and per cluster (CPU, memory), from capacity.summary, with the alert rules' effective
 * thresholds so the bars show where a warning and a critical alert start.
 */
export async function capacity(db: DbOrTx, caller: Caller) {
  assertInfra(caller, "read");
  const [zones, rules, addresses] = await Promise.all([capacitySummary(db, caller), effectiveRules(db), addressesByZone(db)]);
  const rule = new Map(rules.map((r) => [r.rule, r]));
  const meter = (key: Meter["key"], label: string, unit: Meter["unit"], f: { used: number; total: number }): Meter => {
    const r = ruleOf[key] ? rule.get(ruleOf[key]) : undefined;
    const on = r?.enabled ?? false;
    return {
      key,
      label,
      unit,
      used: Number(f.used),
      total: Number(f.total),
      warning: on ? (r?.warning ?? null) : null,
      critical: on ? (r?.critical ?? null) : null,
    };
  };
  return zones.map((z) => ({
    id: z.id,
    name: z.name,
    vms: z.vms,
    meters: [
      meter("cpu", "CPU", "MHz", z.cpuMhz),
      meter("memory", "Memory", "MiB", z.memoryMib),
      meter("primaryStorage", "Primary storage", "GiB", z.primaryStorageGib),
      meter("secondaryStorage", "Secondary storage", "GiB", z.secondaryStorageGib),
      meter("publicIps", "Public IPs", "", addresses(z.id).publicIps),
      meter("vlans", "VLANs", "", addresses(z.id).vlans),
    ],
    clusters: z.clusters.map((c) => ({
      id: c.id,
      name: c.name,
      podName: c.podName,
      hostCount: c.hostCount,
      meters: [meter("cpu", "CPU", "MHz", c.cpuMhz), meter("memory", "Memory", "MiB", c.memoryMib)],
    })),
  }));
}

/**
 * The accounts in scope holding the most vCPUs right now (their limit counters: current
 * allocation, not this month's usage), with their memory and instance counts.
 */
export async function topAccounts(db: DbOrTx, caller: Caller, limit = 5) {
  const held = (t: "vcpus" | "memory_mib" | "instances") =>
    sql<number>`coalesce((select ${resourceCounters.used} from ${resourceCounters} where ${resourceCounters.accountId} = ${accounts.id} and ${resourceCounters.resourceType} = ${t}), 0)::float8`;
  const vcpus = held("vcpus");
  const rows = await db
    .select({
      id: accounts.id,
      name: accounts.name,
      domainName: domains.name,
      vcpus,
      memoryMib: held("memory_mib"),
      instances: held("instances"),
    })
    .from(resourceCounters)
    .innerJoin(accounts, eq(accounts.id, resourceCounters.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(and(accountScope(caller), eq(resourceCounters.resourceType, "vcpus"), gt(resourceCounters.used, 0)))
    .orderBy(desc(resourceCounters.used), accounts.name)
    .limit(limit);
  return rows.map((r) => ({ ...r, vcpus: Number(r.vcpus), memoryMib: Number(r.memoryMib), instances: Number(r.instances) }));
}

/** The latest events in scope (the Events page's query, first page). */
export async function recentEvents(db: DbOrTx, caller: Caller, limit = 6) {
  const page = await listEvents(db, caller, { pageSize: limit });
  return page.items.map((e) => ({
    id: e.id,
    type: e.type,
    level: e.level,
    description: e.description,
    createdAt: e.createdAt,
  }));
}

/** The most recent VMs in scope, as the instance list returns them (so its row actions work on them). */
export async function recentInstances(db: DbOrTx, caller: Caller, limit = 5) {
  const page = await listInstances(db, caller, { pageSize: limit });
  return page.items;
}

/**
 * Limits and use: a tenant its account's; a reseller its domain's, whose counters hold the whole
 * subtree's use (an account's use counts against every ancestor's limit).
 */
export async function limits(db: DbOrTx, caller: Caller) {
  if (isDomainAdmin(caller)) return { owner: "domain" as const, rows: await domainLimits(db, caller.domainId) };
  return { owner: "account" as const, rows: await accountLimits(db, caller.accountId) };
}

/** A reseller's subtree: live domains and accounts, counted (capped). */
export async function subtree(db: DbOrTx, caller: Caller) {
  const [[a], [d]] = await Promise.all([
    db.select({ n: count() }).from(
      db
        .select({ one: sql`1` })
        .from(accounts)
        .innerJoin(domains, eq(domains.id, accounts.domainId))
        .where(accountScope(caller))
        .limit(COUNT_CAP + 1)
        .as("a"),
    ),
    db
      .select({ n: count() })
      .from(domains)
      .where(
        isRootAdmin(caller)
          ? sql`${domains.removedAt} is null`
          : sql`${domains.removedAt} is null and starts_with(${domains.path}, ${caller.domainPath})`,
      ),
  ]);
  return { accounts: capped(Number(a?.n ?? 0)), domains: Number(d?.n ?? 0) };
}

/** A reseller's revenue against its cost this month: the Pricing page's figures (costRevenue), totals only. */
export async function revenue(db: DbOrTx, caller: Caller, now = new Date()) {
  const r = await costRevenue(db, caller, {}, now);
  return { domainName: r.domainName, from: r.range.from, totals: r.totals };
}

/**
 * How far back the latest rated period may be and still count as the current run-rate: 3 hours,
 * or 3 periods or aggregation intervals when longer.
 */
const runRateWindowMs = () => 3 * 60_000 * Math.max(60, usagePeriodMinutes(), env().STRATUS_USAGE_AGGREGATE_MINUTES);

/**
 * A tenant's spend this month (the Billing page's month-to-date) and a forecast to month end:
 * spend so far + the current hourly run-rate × the hours left, the run-rate being the charges of
 * the latest rated period per hour (none within runRateWindowMs: nothing runs, the rate is 0).
 */
export async function spend(db: DbOrTx, caller: Caller, now = new Date()) {
  const overview = await billingOverview(db, caller, caller.accountId, now);
  const month = monthRange(undefined, now);
  const since = new Date(Math.max(month.from.getTime(), now.getTime() - runRateWindowMs()));
  const periodsPerHour = 60 / usagePeriodMinutes();
  const rates = rowsOf<{ currency: string; hourly: string }>(
    await db.execute(sql`
      select ${charges.currency} as currency, trim_scale(sum(${charges.amount}))::text as hourly from ${charges}
      where ${charges.accountId} = ${caller.accountId} and ${charges.periodStart} = (
        select max(${charges.periodStart}) from ${charges}
        where ${charges.accountId} = ${caller.accountId} and ${charges.periodStart} >= ${since.toISOString()}::timestamptz)
      group by 1`),
  );
  const rateOf = new Map(rates.map((r) => [r.currency, Number(r.hourly) * periodsPerHour]));
  const hoursLeft = Math.max(0, (month.end.getTime() - now.getTime()) / 3_600_000);
  const currencies = [...new Set([...overview.monthToDate.map((s) => s.currency), ...rateOf.keys()])].sort();
  return {
    month: month.month,
    hoursLeft,
    lines: currencies.map((currency) => {
      const spent = Number(overview.monthToDate.find((s) => s.currency === currency)?.amount ?? 0);
      const hourly = rateOf.get(currency) ?? 0;
      return { currency, spent, hourly, forecast: spent + hourly * hoursLeft };
    }),
  };
}
