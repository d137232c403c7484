/**
 * A failure worth retrying (host briefly unreachable, lock timeout) carries `transient: true`, as
 * DriverError does; anything else fails the job at once.
 */
export const isTransient = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { transient?: unknown }).transient === true;

/**
 * Thrown by a job that waits on other jobs (an account's cleanup waits for its VMs' destroy and
 * expunge jobs): the job goes back to the queue for `delayMs` without using up an attempt, and its
 * worker is free meanwhile (a job that slept in its worker could starve the jobs it waits for).
 */
export class JobWaiting extends Error {
  constructor(
    readonly delayMs: number,
    message = "waiting",
  ) {
    super(message);
    this.name = "JobWaiting";
  }
}

/** Duck-typed, like isTransient: the Next.js bundle and server.ts may each load this module. */
export const isJobWaiting = (e: unknown): e is JobWaiting =>
  e instanceof Error && e.name === "JobWaiting" && typeof (e as { delayMs?: unknown }).delayMs === "number";
