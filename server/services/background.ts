import type { JobDefinition } from "@/server/orchestrator/jobs/registry";
import type { OrchestratorOptions, Schedule } from "@/server/orchestrator";
import { purgeStaleAuthRows } from "@/server/auth/cleanup";
import { accountCleanupJob } from "./account-cleanup";
import { networkJobs } from "./networks/jobs";
import { expungeDue } from "./instances/expunge-sweep";
import { volumeJobs } from "./volumes/jobs";
import { isoJobs } from "./instances/iso";
import { snapshotJobs } from "./snapshots/jobs";
import { vmSnapshotJobs } from "./vm-snapshots/jobs";
import { runSnapshotPolicies } from "./snapshots/policies";
import { expungeDueVolumes } from "./volumes/operations";
import { templateDownloadJob } from "./template-images/download-job";
import { templateCopyJob } from "./template-copy";
import { templateFromSourceJob } from "./template-images/from-source";
import { volumeFromSnapshotJob } from "./snapshots/volume-from";
import { sweepAbandonedUploads } from "./template-images/upload";
import { enqueueUsageAggregation, usageAggregateJob } from "@/server/usage/job";
import { env } from "@/server/env";
import { evaluateAlertsSoon, runAlertEvaluation } from "@/server/alerts/trigger";
import { balanceStopJob, evaluateBalances } from "@/server/billing/low-balance";
import { webhookDeliverJob } from "@/server/webhooks/deliver";

/**
 * What the services run in the background, handed to the orchestrator by whoever starts it
 * (server.ts, scripts/orchestrator-worker.ts, tests): the orchestrator runs them without
 * importing the services, which stand on it.
 */
export const serviceJobs: readonly JobDefinition[] = [
  accountCleanupJob,
  ...networkJobs,
  ...volumeJobs,
  ...isoJobs,
  ...snapshotJobs,
  ...vmSnapshotJobs,
  templateDownloadJob,
  templateCopyJob,
  volumeFromSnapshotJob,
  templateFromSourceJob,
  usageAggregateJob,
  balanceStopJob,
  webhookDeliverJob,
];

export const serviceSchedules: readonly Schedule[] = [
  { name: "expunge", everyMs: 60_000, run: expungeDue },
  { name: "volume-expunge", everyMs: 60_000, run: expungeDueVolumes },
  { name: "uploads", everyMs: 60_000, run: sweepAbandonedUploads },
  { name: "snapshot-policies", everyMs: 60_000, run: (db) => runSnapshotPolicies(db) },
  { name: "auth-cleanup", everyMs: 3_600_000, run: async (db) => void (await purgeStaleAuthRows(db)) },
  // A durable job (not the tick itself), so an aggregation survives its process and runs once at a time.
  {
    name: "usage-aggregate",
    everyMs: env().STRATUS_USAGE_AGGREGATE_MINUTES * 60_000,
    run: async (db) => void (await enqueueUsageAggregation(db)),
  },
  // Alerts: evaluate the rules, then send the e-mails the changes queued (outside the transaction).
  {
    name: "alerts",
    everyMs: env().STRATUS_ALERT_INTERVAL_MS,
    run: runAlertEvaluation,
  },
  // Crossings are also evaluated at once when credits or a policy change; this catches new charges.
  {
    name: "balance-evaluate",
    everyMs: env().STRATUS_BALANCE_EVALUATE_MINUTES * 60_000,
    run: async (db) => void (await evaluateBalances(db)),
  },
];

/** The services' answers to the orchestrator's hooks: a host that changed state is judged by the alert rules at once. */
export const serviceHooks: Pick<OrchestratorOptions, "onHostStatusChange"> = {
  onHostStatusChange: evaluateAlertsSoon,
};
