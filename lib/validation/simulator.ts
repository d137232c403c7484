import { z } from "zod";
import { idSchema } from "./common";

/**
 * Simulator administration (root admin): latency per driver operation and injected faults.
 * Client-safe (the simulator page's forms reuse these). `simulatorOperationNames` is the driver's
 * list of operations too (server/orchestrator/drivers/simulator/driver.ts).
 */
export const simulatorOperationNames = [
  "ping",
  "create",
  "start",
  "stop",
  "reboot",
  "destroy",
  "list",
  "getState",
  "stats",
  "createVolume",
  "deleteVolume",
  "resizeVolume",
  "attachVolume",
  "detachVolume",
  "volumeInfo",
  "copyVolume",
  "attachIso",
  "detachIso",
  "takeSnapshot",
  "restoreSnapshot",
  "deleteSnapshot",
  "takeVmSnapshot",
  "revertVmSnapshot",
  "deleteVmSnapshot",
  "createVolumeFromSnapshot",
  "exportSnapshot",
  "exportVolume",
  "applyNetwork",
  "destroyNetwork",
  "checkNetwork",
] as const;
export type SimulatorOperationName = (typeof simulatorOperationNames)[number];

export const simulatorOperationSchema = z.enum(simulatorOperationNames, {
  error: `Operation must be one of ${simulatorOperationNames.join(", ")}`,
});

/** At most 10 minutes: enough to hold a job mid-flight, not enough to wedge a worker for good. */
export const MAX_LATENCY_MS = 600_000;

const latencyMs = z
  .number({ error: "Latency must be a number of milliseconds" })
  .int({ error: "Latency must be a whole number of milliseconds" })
  .min(0, { error: "Latency cannot be negative" })
  .max(MAX_LATENCY_MS, { error: `Latency must be at most ${MAX_LATENCY_MS.toLocaleString("en-US")} ms` });

export const setSimulatorLatencyInput = z.object({
  operation: simulatorOperationSchema,
  ms: latencyMs,
});

export const addSimulatorFaultInput = z.object({
  operation: simulatorOperationSchema,
  /** Only this host; omitted: every simulated host. */
  hostId: idSchema.nullish(),
  probability: z
    .number({ error: "Probability must be a number" })
    .gt(0, { error: "Probability must be greater than 0" })
    .max(1, { error: "Probability must be at most 1" })
    .default(1),
  /** Fail the next N matching calls, then disappear; omitted: until removed. */
  remaining: z
    .number({ error: "Count must be a number" })
    .int({ error: "Count must be a whole number" })
    .min(1, { error: "Count must be at least 1" })
    .max(1_000_000, { error: "Count must be at most 1,000,000" })
    .nullish(),
  transient: z.boolean().default(false),
  message: z
    .string()
    .trim()
    .min(1, { error: "Message is required" })
    .max(200, { error: "Message must be at most 200 characters" })
    .default("Injected fault"),
});

export const removeSimulatorFaultInput = z.object({ id: idSchema });

export type SetSimulatorLatencyInput = z.infer<typeof setSimulatorLatencyInput>;
export type AddSimulatorFaultInput = z.input<typeof addSimulatorFaultInput>;
