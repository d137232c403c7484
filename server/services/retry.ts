/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply be run again. */
function isRetryable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = typeof e === "object" && e !== null && "code" in e ? (e as { code: unknown }).code : undefined;
    if (code === "40P01" || code === "40001") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs a whole transaction again when PostgreSQL aborted it as a deadlock victim (e.g. two
 * multi-VM deploys reserving hosts in different random orders). Nothing of an aborted attempt
 * was committed, so a retry is safe.
 */
export async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isRetryable(e)) throw e;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * i));
    }
  }
}
