/**
 * Counts failures per key in a sliding window (login: 5 failures for one email within 15 minutes
 * block that email). In memory and bounded: the oldest keys are evicted past `maxKeys`.
 */
export interface FailureLimiterOptions {
  /** Failures allowed in the window before blocking. */
  max: number;
  /** Window length in ms. */
  windowMs: number;
  /** Keys kept at most (default 100 000). */
  maxKeys?: number;
  now: () => number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly opts: FailureLimiterOptions) {}

  /** Seconds until `key` may try again, or 0. */
  retryAfter(key: string): number {
    const times = this.recent(key);
    if (times.length < this.opts.max) return 0;
    const until = times[times.length - this.opts.max]! + this.opts.windowMs;
    return Math.max(1, Math.ceil((until - this.opts.now()) / 1000));
  }

  fail(key: string): void {
    const times = this.recent(key);
    times.push(this.opts.now());
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > (this.opts.maxKeys ?? 100_000)) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.opts.now() - this.opts.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}
