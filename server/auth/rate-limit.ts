/**
 * Fixed-window login throttle, per key (username, client IP), in process memory. Enough for one
 * portal process; behind several processes each keeps its own window (noted in docs/architecture.md).
 */
export class RateLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Records an attempt; returns false when the key is over its budget for this window. */
  attempt(key: string, now = Date.now()): boolean {
    const entry = this.hits.get(key);
    if (!entry || entry.resetAt <= now) {
      this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
      if (this.hits.size > 10_000) this.prune(now);
      return true;
    }
    entry.count++;
    return entry.count <= this.max;
  }

  reset(key: string) {
    this.hits.delete(key);
  }

  private prune(now: number) {
    for (const [k, v] of this.hits) if (v.resetAt <= now) this.hits.delete(k);
  }
}

const g = globalThis as unknown as { __stratusLoginLimits?: { user: RateLimiter; ip: RateLimiter } };
/** 10 attempts per username and 50 per IP per 15 minutes. Shared across module copies. */
export function loginLimits() {
  g.__stratusLoginLimits ??= { user: new RateLimiter(10, 15 * 60_000), ip: new RateLimiter(50, 15 * 60_000) };
  return g.__stratusLoginLimits;
}
