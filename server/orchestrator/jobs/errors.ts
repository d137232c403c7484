/**
 * A failure worth retrying (host briefly unreachable, lock timeout) carries `transient: true`, as
 * DriverError does; anything else fails the job at once.
 */
export const isTransient = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { transient?: unknown }).transient === true;
