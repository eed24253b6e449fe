import { describe, expect, it } from 'vitest';
import { Backoff } from '../../agent/uplink/backoff.js';

describe('reconnect backoff', () => {
  it('doubles from 1 s up to the 60 s cap, jittered within the upper half of each step', () => {
    const lo = new Backoff({ random: () => 0 });
    const hi = new Backoff({ random: () => 0.999999 });
    const steps = [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * 1000);
    for (const step of steps) {
      expect(lo.next()).toBe(step / 2);
      expect(hi.next()).toBe(step);
    }
  });

  it('starts over after a successful connection', () => {
    const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.5 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(75);
  });

  it('spreads a fleet that lost the broker at the same instant', () => {
    const delays = Array.from({ length: 50 }, () => new Backoff().next());
    expect(new Set(delays).size).toBeGreaterThan(10);
  });
});
