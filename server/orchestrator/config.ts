/** Orchestrator settings (CloudStack's global settings of the same meaning), from the environment. */
export const orchestratorConfig = {
  /** Seconds a destroyed VM stays recoverable before it is expunged (CloudStack: expunge.delay). */
  expungeDelaySeconds: Number(process.env.STRATUS_EXPUNGE_DELAY_SECONDS ?? 86_400),
  /** Release a stopped VM's host capacity (true, CloudStack's default) or keep it reserved. */
  releaseCapacityOnStop: process.env.STRATUS_RELEASE_ON_STOP !== "0",
  /** Graceful stop timeout before a forced one. */
  stopTimeoutMs: Number(process.env.STRATUS_STOP_TIMEOUT_MS ?? 60_000),
};
