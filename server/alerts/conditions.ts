import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { standings } from "@/server/billing/low-balance";
import { type AlertRuleKey, type EffectiveRule, severityOf } from "./rules";

/** A condition that holds now: the alert it should keep open (one per rule and subject). */
export interface Condition {
  rule: AlertRuleKey;
  subjectType: string;
  subjectKey: string;
  subjectName: string;
  severity: "warning" | "critical";
  title: string;
  description: string;
  accountId?: string;
  domainPath?: string;
  details?: Record<string, unknown>;
}

async function q<R>(db: DbOrTx, query: ReturnType<typeof sql>): Promise<R[]> {
  return rowsOf<R>(await db.execute(query));
}

const pct = (n: number) => `${n.toFixed(1)} %`;

/**
 * What the evaluator finds true now, rule by rule, from the database alone (the reconciler and the
 * job system write the truth there): a handful of grouped queries, cheap at any size.
 */
export async function currentConditions(db: DbOrTx, rules: EffectiveRule[], now: Date): Promise<Condition[]> {
  const on = new Map(rules.filter((r) => r.enabled).map((r) => [r.rule, r]));
  const out: Condition[] = [];

  if (on.has("host.unreachable")) {
    const rows = await q<{ id: string; name: string; status: "disconnected" | "down"; zone: string }>(
      db,
      sql`select h.id, h.name, h.status::text as status, z.name as zone from hosts h join zones z on z.id = h.zone_id
          where h.status <> 'up' and h.state <> 'maintenance'`,
    );
    for (const h of rows)
      out.push({
        rule: "host.unreachable",
        subjectType: "host",
        subjectKey: h.id,
        subjectName: h.name,
        severity: h.status === "down" ? "critical" : "warning",
        title: `Host ${h.name} is ${h.status === "down" ? "Down" : "Disconnected"}`,
        description: `Host ${h.name} in zone ${h.zone} does not answer (${h.status}).`,
        details: { status: h.status, zone: h.zone },
      });
  }

  const capacityRules = (["capacity.cpu", "capacity.memory", "capacity.storage"] as const).filter((r) => on.has(r));
  if (capacityRules.length) {
    // Compute per cluster (hosts) and per zone (sum of its clusters); storage per cluster (its own pools) and per zone (all pools).
    const compute = await q<{
      zone_id: string;
      zone: string;
      cluster_id: string;
      cluster: string;
      cpu_used: number;
      cpu_total: number;
      mem_used: number;
      mem_total: number;
    }>(
      db,
      sql`select z.id as zone_id, z.name as zone, c.id as cluster_id, c.name as cluster,
                 coalesce(sum(h.cpu_used_mhz), 0)::float8 as cpu_used,
                 coalesce(sum(h.cpu_cores * h.cpu_mhz * c.cpu_overcommit), 0)::float8 as cpu_total,
                 coalesce(sum(h.memory_used_mib), 0)::float8 as mem_used,
                 coalesce(sum(h.memory_mib * c.memory_overcommit), 0)::float8 as mem_total
          from clusters c join zones z on z.id = c.zone_id left join hosts h on h.cluster_id = c.id
          group by z.id, z.name, c.id, c.name`,
    );
    const storage = await q<{
      zone_id: string;
      zone: string;
      cluster_id: string | null;
      cluster: string | null;
      used: number;
      total: number;
    }>(
      db,
      sql`select z.id as zone_id, z.name as zone, p.cluster_id, c.name as cluster,
                 sum(p.used_gib)::float8 as used, sum(p.capacity_gib * p.overprovisioning)::float8 as total
          from storage_pools p join zones z on z.id = p.zone_id left join clusters c on c.id = p.cluster_id
          group by z.id, z.name, p.cluster_id, c.name`,
    );
    type Figure = { type: "zone" | "cluster"; key: string; name: string; used: number; total: number };
    const figures: Record<(typeof capacityRules)[number], Figure[]> = { "capacity.cpu": [], "capacity.memory": [], "capacity.storage": [] };
    const zoneSum = (list: Figure[], zoneId: string, zone: string, used: number, total: number) => {
      const z = list.find((f) => f.type === "zone" && f.key === zoneId);
      if (z) {
        z.used += used;
        z.total += total;
      } else list.push({ type: "zone", key: zoneId, name: zone, used, total });
    };
    for (const r of compute) {
      figures["capacity.cpu"].push({
        type: "cluster",
        key: r.cluster_id,
        name: `${r.zone}/${r.cluster}`,
        used: r.cpu_used,
        total: r.cpu_total,
      });
      zoneSum(figures["capacity.cpu"], r.zone_id, r.zone, r.cpu_used, r.cpu_total);
      figures["capacity.memory"].push({
        type: "cluster",
        key: r.cluster_id,
        name: `${r.zone}/${r.cluster}`,
        used: r.mem_used,
        total: r.mem_total,
      });
      zoneSum(figures["capacity.memory"], r.zone_id, r.zone, r.mem_used, r.mem_total);
    }
    for (const r of storage) {
      if (r.cluster_id)
        figures["capacity.storage"].push({
          type: "cluster",
          key: r.cluster_id,
          name: `${r.zone}/${r.cluster}`,
          used: r.used,
          total: r.total,
        });
      zoneSum(figures["capacity.storage"], r.zone_id, r.zone, r.used, r.total);
    }
    const what = { "capacity.cpu": "CPU", "capacity.memory": "Memory", "capacity.storage": "Primary storage" } as const;
    for (const rule of capacityRules) {
      const def = on.get(rule)!;
      for (const f of figures[rule]) {
        if (f.total <= 0) continue;
        const value = (f.used / f.total) * 100;
        const severity = severityOf(value, def);
        if (!severity) continue;
        out.push({
          rule,
          subjectType: f.type,
          subjectKey: `${f.type}:${f.key}`,
          subjectName: f.name,
          severity,
          title: `${what[rule]} of ${f.type} ${f.name} at ${pct(value)}`,
          description: `${what[rule]} of ${f.type} ${f.name} is ${pct(value)} used (warning at ${def.warning} %, critical at ${def.critical} %).`,
          details: { percent: Math.round(value * 10) / 10, used: f.used, total: f.total, warning: def.warning, critical: def.critical },
        });
      }
    }
  }

  if (on.has("storage.unreachable")) {
    const rows = await q<{ id: string; name: string }>(
      db,
      sql`select p.id, p.name from storage_pools p
          where p.state <> 'maintenance'
            and exists (select 1 from hosts h where h.state <> 'maintenance'
                        and (h.cluster_id = p.cluster_id or (p.cluster_id is null and h.zone_id = p.zone_id)))
            and not exists (select 1 from hosts h where h.state <> 'maintenance' and h.status = 'up'
                        and (h.cluster_id = p.cluster_id or (p.cluster_id is null and h.zone_id = p.zone_id)))`,
    );
    for (const p of rows)
      out.push({
        rule: "storage.unreachable",
        subjectType: "storage_pool",
        subjectKey: p.id,
        subjectName: p.name,
        severity: "critical",
        title: `Storage pool ${p.name} is unreachable`,
        description: `No Up host reaches storage pool ${p.name}: its volumes cannot be attached or started.`,
      });
  }

  const jobRule = on.get("jobs.failure_rate");
  if (jobRule) {
    const since = new Date(now.getTime() - 3_600_000);
    const [r] = await q<{ failed: number; total: number }>(
      db,
      sql`select count(*) filter (where status = 'failed')::int as failed, count(*)::int as total
          from jobs where status in ('succeeded', 'failed') and finished_at > ${since.toISOString()}`,
    );
    const total = Number(r?.total ?? 0);
    const failed = Number(r?.failed ?? 0);
    if (total >= 5) {
      const value = (failed / total) * 100;
      const severity = severityOf(value, jobRule);
      if (severity)
        out.push({
          rule: "jobs.failure_rate",
          subjectType: "jobs",
          subjectKey: "global",
          subjectName: "all jobs",
          severity,
          title: `${pct(value)} of jobs failed in the last hour`,
          description: `${failed} of ${total} jobs finished in the last hour failed (warning at ${jobRule.warning} %, critical at ${jobRule.critical} %).`,
          details: { failed, total, percent: Math.round(value * 10) / 10 },
        });
    }
  }

  const lagRule = on.get("reconciler.lag");
  if (lagRule) {
    const [r] = await q<{ lag: number | null }>(
      db,
      sql`select max(extract(epoch from (${now.toISOString()}::timestamptz - last_seen_at)))::float8 as lag
          from hosts where status = 'up' and state <> 'maintenance' and last_seen_at is not null`,
    );
    const lag = r?.lag === null || r?.lag === undefined ? null : Number(r.lag);
    const severity = lag === null ? null : severityOf(lag, lagRule);
    if (lag !== null && severity)
      out.push({
        rule: "reconciler.lag",
        subjectType: "reconciler",
        subjectKey: "global",
        subjectName: "reconciler",
        severity,
        title: `Reconciler ${Math.round(lag)} s behind`,
        description: `An Up host was last reconciled ${Math.round(lag)} s ago (warning at ${lagRule.warning} s, critical at ${lagRule.critical} s): is any process running the orchestrator?`,
        details: { seconds: Math.round(lag) },
      });
  }

  if (on.has("usage.aggregation")) {
    const [r] = await q<{ status: string; error: string | null }>(
      db,
      sql`select status::text as status, error from jobs where type = 'usage.aggregate' order by created_at desc limit 1`,
    );
    const severity = r?.status === "failed" ? "critical" : r && r.status !== "succeeded" && r.error ? "warning" : null;
    if (severity)
      out.push({
        rule: "usage.aggregation",
        subjectType: "usage",
        subjectKey: "global",
        subjectName: "usage aggregation",
        severity,
        title: severity === "critical" ? "Usage aggregation failed" : "Usage aggregation is retrying after an error",
        description: `The usage.aggregate job ${severity === "critical" ? "failed" : "is retrying"}: ${r?.error ?? ""}`.trim(),
        details: { error: r?.error },
      });
  }

  if (on.has("vm.host_failure")) {
    const rows = await q<{ account_id: string; domain_path: string; host_id: string; host: string; vms: number; names: string }>(
      db,
      sql`select i.account_id, i.domain_path, h.id as host_id, h.name as host, count(*)::int as vms,
                 string_agg(i.name, ', ' order by i.name) as names
          from instances i join hosts h on h.id = i.host_id
          where i.state = 'unknown' and h.status = 'down'
          group by i.account_id, i.domain_path, h.id, h.name`,
    );
    for (const r of rows)
      out.push({
        rule: "vm.host_failure",
        subjectType: "account",
        subjectKey: `${r.host_id}:${r.account_id}`,
        // Tenants never learn host names: the subject is their VMs.
        subjectName: r.names,
        severity: "critical",
        title: `${r.vms} VM${Number(r.vms) === 1 ? "" : "s"} stopped by a host failure`,
        description: `The host running ${r.names} went down; their state is unknown until it returns (or they are started elsewhere).`,
        accountId: r.account_id,
        domainPath: r.domain_path,
        details: { vms: Number(r.vms) },
      });
  }
  if (on.has("billing.low_balance")) {
    // The policy and the comparison are standings()'s (billing/low-balance.ts), never a second copy.
    for (const s of await standings(db)) {
      if (!s.belowNotify && !s.belowRefuse && !s.belowStop) continue;
      const critical = s.belowRefuse || s.belowStop;
      const limit = s.belowStop ? s.stopBelow : s.belowRefuse ? s.refuseBelow : s.notifyBelow;
      const consequence = s.belowStop
        ? "its running VMs will be stopped"
        : s.belowRefuse
          ? "new deployments are refused"
          : "add credit before deployments are refused";
      out.push({
        rule: "billing.low_balance",
        subjectType: "account",
        subjectKey: `balance:${s.accountId}`,
        subjectName: s.accountName,
        severity: critical ? "critical" : "warning",
        title: `Balance of ${s.accountName} is low: ${s.balance} ${s.currency}`,
        description: `The balance of account ${s.accountName} is ${s.balance} ${s.currency}, below ${limit} ${s.currency} (low-balance policy of domain ${s.policyDomainName}): ${consequence}.`,
        accountId: s.accountId,
        domainPath: s.domainPath,
        details: {
          balance: s.balance,
          currency: s.currency,
          notifyBelow: s.notifyBelow,
          refuseBelow: s.refuseBelow,
          stopBelow: s.stopBelow,
        },
      });
    }
  }
  return out;
}
