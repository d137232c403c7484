import { isRetryableConflict as isRetryable } from "./errors";

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
