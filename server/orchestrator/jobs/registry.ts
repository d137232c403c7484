import type { Db, Tx } from "@/db";
import type { Job } from "./queue";
import { processSingleton } from "@/lib/process-singleton";

export interface JobContext {
  job: Job;
  db: Db;
  /** Which process runs the job (recorded in jobs.locked_by). */
  owner: string;
  /**
   * Runs `fn` unless this step completed in an earlier attempt (a job resumed after a crash skips
   * finished steps). Steps must be idempotent up to their completion mark.
   */
  step<T>(name: string, fn: () => Promise<T>, then?: { progress: number; message: string }): Promise<T | undefined>;
  progress(pct: number, message?: string): Promise<void>;
  /**
   * Final state change and job completion in one transaction: `fn` writes the state (and usage),
   * and the job is marked succeeded in the same commit, so neither happens without the other.
   */
  finish(fn: (tx: Tx) => Promise<unknown>): Promise<void>;
}

export interface JobHandler {
  run(ctx: JobContext): Promise<void>;
  /**
   * Called in the transaction that marks the job failed (permanent error or attempts exhausted):
   * put the resource in a truthful state (Error, or back to Stopped) and release what it held.
   */
  onFailure?(tx: Tx, job: Job, error: Error): Promise<void>;
}

const handlers = processSingleton("jobs.handlers", () => new Map<string, JobHandler>());

export function registerJobHandler(type: string, handler: JobHandler) {
  handlers.set(type, handler);
}

export function jobHandler(type: string): JobHandler | undefined {
  return handlers.get(type);
}

export function registeredJobTypes(): string[] {
  return [...handlers.keys()];
}
