/** A failure worth retrying (host briefly unreachable, lock timeout); anything else fails the job. */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientError";
  }
}

/** A second operation on a resource that already has a job in flight. */
export class ResourceBusyError extends Error {
  constructor(message = "Another operation is already in progress on this resource; wait for it to finish") {
    super(message);
    this.name = "ResourceBusyError";
  }
}

export const isTransient = (e: unknown): boolean =>
  e instanceof TransientError || (typeof e === "object" && e !== null && (e as { transient?: unknown }).transient === true);
