import { env } from "@/server/env";

/** Orchestrator settings (CloudStack's global settings of the same meaning), from the environment (server/env.ts). */
export const orchestratorConfig = {
  /** Seconds a destroyed VM stays recoverable before it is expunged (CloudStack: expunge.delay). */
  expungeDelaySeconds: env().STRATUS_EXPUNGE_DELAY_SECONDS,
  /** Release a stopped VM's host capacity (true, CloudStack's default) or keep it reserved. */
  releaseCapacityOnStop: env().STRATUS_RELEASE_ON_STOP === "1",
  /** Graceful stop timeout before a forced one. */
  stopTimeoutMs: env().STRATUS_STOP_TIMEOUT_MS,
};
