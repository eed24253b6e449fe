/**
 * Reconnect delays: exponential growth from `minMs`, capped at `maxMs`, with "equal jitter" (half
 * fixed, half random) so a fleet that lost its broker at the same instant does not come back in
 * lock-step, while no unit ever retries faster than half the current step.
 */

/** Bounds of the reconnect backoff. */
export interface BackoffOptions {
  /** First delay. Default 1 000 ms. */
  minMs?: number;
  /** Largest delay. Default 60 000 ms. */
  maxMs?: number;
  /** Random source in [0, 1). Default Math.random. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? 1_000;
    this.maxMs = options.maxMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const step = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** After a successful connection the next outage starts from `minMs` again. */
  reset(): void {
    this.attempt = 0;
  }
}
