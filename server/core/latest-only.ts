/**
 * Writes only the latest of a burst of values, one write at a time: progress callbacks fire far
 * faster than a database takes updates, so at most one write is in flight and one (the newest)
 * waits. `flush()` resolves once the last write has landed: a job awaits it before finishing, so
 * no late progress write lands after its final state. A failed write is dropped (progress is advice).
 */
export function latestOnly<T>(write: (value: T) => Promise<unknown>) {
  let busy = false;
  let queued: { value: T } | null = null;
  let idle: Promise<void> = Promise.resolve();
  const pump = async (first: T) => {
    busy = true;
    let next: { value: T } | null = { value: first };
    while (next) {
      queued = null;
      await write(next.value).catch(() => undefined);
      next = queued;
    }
    busy = false;
  };
  return {
    report(value: T) {
      if (busy) queued = { value };
      else idle = pump(value);
    },
    flush: () => idle,
  };
}
