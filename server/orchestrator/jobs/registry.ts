import type { z } from "zod";
import type { Db, Tx } from "@/db";
import type { Job } from "./queue";
import { processSingleton } from "@/lib/process-singleton";

/*
 * Typed jobs. Each job type is declared once, in the file of its handler, by adding its input
 * schema to the global `StratusJobInputs` interface (the way graphile-worker types its tasks):
 *
 *   const stopInput = z.object({ force: z.boolean() });
 *   declare global { interface StratusJobInputs { "vm.stop": typeof stopInput } }
 *   export const stopJob = defineJob({ type: "vm.stop", input: stopInput, run(ctx) { ctx.input.force … } });
 *
 * `enqueueJob` then accepts only declared types, each with its own input; the worker parses the
 * stored input with the schema before the handler runs, and fails a job whose input does not fit.
 */

/** Every declared job type. */
export type JobType = keyof StratusJobInputs;
/** What `enqueueJob` takes for a job type (before the schema's defaults). */
export type JobInput<T extends JobType> = z.input<StratusJobInputs[T]>;
/** What its handler gets: the stored input, parsed. */
export type JobData<T extends JobType> = z.output<StratusJobInputs[T]>;

export interface JobContext<I = unknown> {
  job: Job;
  /** The job's input, parsed by its schema. */
  input: I;
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

export interface JobDefinition<T extends JobType = JobType> {
  type: T;
  input: StratusJobInputs[T];
  run(ctx: JobContext<JobData<T>>): Promise<void>;
  /**
   * Called in the transaction that marks the job failed (permanent error, attempts exhausted, or
   * an input that does not fit its schema): put the resource in a truthful state (Error, or back
   * to Stopped) and release what it held. It gets the input parsed once by the worker, the same
   * `run` got; null when the stored input is what failed (then only the row says what the job was).
   */
  onFailure?(tx: Tx, job: Job, error: Error, input: JobData<T> | null): Promise<void>;
}

/** A job type's schema and handler, checked against its declaration. */
export const defineJob = <T extends JobType>(def: JobDefinition<T>): JobDefinition<T> => def;

const definitions = processSingleton("jobs.definitions", () => new Map<string, JobDefinition>());

/** Lets this process run these jobs (its workers claim only registered types). */
export function registerJobs(defs: readonly JobDefinition[]) {
  for (const d of defs) definitions.set(d.type, d);
}

export function jobDefinition(type: string): JobDefinition | undefined {
  return definitions.get(type);
}

export function registeredJobTypes(): string[] {
  return [...definitions.keys()];
}

/**
 * The job's stored input parsed by its schema, once per run (the worker hands it to `run` and to
 * `onFailure`); one that does not fit comes back as the error that fails the job, naming the field.
 */
export function parseJobInput<T extends JobType>(def: JobDefinition<T>, job: Job): { input: JobData<T> } | { error: Error } {
  const parsed = def.input.safeParse(job.input);
  if (parsed.success) return { input: parsed.data as JobData<T> };
  const issues = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  return { error: new Error(`Job ${job.type} has an invalid input (${issues})`) };
}
