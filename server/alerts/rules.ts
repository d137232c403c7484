import type { DbOrTx } from "@/db";
import { alertRuleSettings } from "@/db/schema";

/**
 * The built-in alert rules and their defaults. An admin may switch a rule off or change its
 * thresholds (alert_rule_settings); the evaluator (evaluate.ts) reads the merged result each run.
 */
export interface AlertRuleDefinition {
  title: string;
  description: string;
  /** Rules with thresholds: what they measure, and the defaults. */
  thresholds: { unit: "%" | "s"; warning: number; critical: number } | null;
  /** Who sees the alerts: infrastructure (root admins) or the affected account (and resellers above it). */
  audience: "infrastructure" | "account";
}

export const alertRuleDefinitions = {
  "host.unreachable": {
    title: "Host disconnected or down",
    description: "A host (not in maintenance) stopped answering: warning while Disconnected, critical once Down.",
    thresholds: null,
    audience: "infrastructure",
  },
  "capacity.cpu": {
    title: "CPU capacity",
    description: "CPU reserved by VMs against what may be reserved (hardware × over-provisioning), per zone and per cluster.",
    thresholds: { unit: "%", warning: 75, critical: 90 },
    audience: "infrastructure",
  },
  "capacity.memory": {
    title: "Memory capacity",
    description: "Memory reserved by VMs against what may be reserved, per zone and per cluster.",
    thresholds: { unit: "%", warning: 75, critical: 90 },
    audience: "infrastructure",
  },
  "capacity.storage": {
    title: "Primary storage capacity",
    description: "GiB allocated to volumes against the pools' capacity × over-provisioning, per zone and per cluster.",
    thresholds: { unit: "%", warning: 75, critical: 90 },
    audience: "infrastructure",
  },
  "storage.unreachable": {
    title: "Storage pool unreachable",
    description: "A primary storage pool (not in maintenance) that no Up host reaches: its volumes cannot be used.",
    thresholds: null,
    audience: "infrastructure",
  },
  "jobs.failure_rate": {
    title: "Job failure rate",
    description: "Share of the jobs finished in the last hour that failed (judged from 5 jobs on).",
    thresholds: { unit: "%", warning: 20, critical: 50 },
    audience: "infrastructure",
  },
  "reconciler.lag": {
    title: "Reconciler lag",
    description: "Seconds since the reconciler last heard from the longest-unseen Up host: the reconciler is stuck or too slow.",
    thresholds: { unit: "s", warning: 300, critical: 900 },
    audience: "infrastructure",
  },
  "usage.aggregation": {
    title: "Usage aggregation failing",
    description: "The usage aggregation job is retrying after an error (warning) or failed (critical): usage and billing fall behind.",
    thresholds: null,
    audience: "infrastructure",
  },
  "vm.host_failure": {
    title: "VMs affected by a host failure",
    description: "An account's VMs whose host went Down: their state is unknown until the host returns.",
    thresholds: null,
    audience: "account",
  },
  "billing.low_balance": {
    title: "Account balance low",
    description:
      "An account's balance is below its domain's low-balance threshold (warning), or below the refusal or stop threshold (critical); resolves once it is back above.",
    thresholds: null,
    audience: "account",
  },
} satisfies Record<string, AlertRuleDefinition>;

export type AlertRuleKey = keyof typeof alertRuleDefinitions;
export const alertRuleKeys = Object.keys(alertRuleDefinitions) as AlertRuleKey[];

export interface EffectiveRule extends AlertRuleDefinition {
  rule: AlertRuleKey;
  enabled: boolean;
  warning: number | null;
  critical: number | null;
}

/** Every rule with an admin's settings applied over the defaults. */
export async function effectiveRules(db: DbOrTx): Promise<EffectiveRule[]> {
  const rows = await db.select().from(alertRuleSettings);
  const byRule = new Map(rows.map((r) => [r.rule, r]));
  return alertRuleKeys.map((rule) => {
    const def: AlertRuleDefinition = alertRuleDefinitions[rule];
    const s = byRule.get(rule);
    return {
      rule,
      ...def,
      enabled: s?.enabled ?? true,
      warning: def.thresholds ? (s?.warning ?? def.thresholds.warning) : null,
      critical: def.thresholds ? (s?.critical ?? def.thresholds.critical) : null,
    };
  });
}

/** The severity a measured value reaches under a rule's thresholds, or null below the warning. */
export function severityOf(value: number, rule: Pick<EffectiveRule, "warning" | "critical">): "warning" | "critical" | null {
  if (rule.critical !== null && value >= rule.critical) return "critical";
  if (rule.warning !== null && value >= rule.warning) return "warning";
  return null;
}
