import { describe, expect, it } from 'vitest';
import { AgentClock, PLAUSIBLE_SINCE_MS, systemClockSynced } from '../../agent/clock.js';
import type { TimeHint } from '../../agent/sources.js';

const REAL = Date.UTC(2026, 10, 26, 2, 0, 0);
const BOOT_1970 = 42_000;

describe('AgentClock', () => {
  it('uses the system clock once it is synced', () => {
    const c = new AgentClock({ systemNow: () => REAL, isSynced: () => true, monotonicNow: () => 5 });
    c.onGnssUtc(REAL - 1000, 0);
    expect(c.now()).toEqual({ ts: REAL, synced: true, source: 'system' });
  });

  it('before sync, says the time is a guess', () => {
    const c = new AgentClock({ systemNow: () => BOOT_1970, isSynced: () => false, monotonicNow: () => 0 });
    expect(c.now()).toEqual({ ts: BOOT_1970, synced: false, source: 'guess' });
  });

  it('before sync, carries the last GNSS UTC forward with the monotonic clock', () => {
    let mono = 1_000;
    let onUtc: ((utc: number, m: number) => void) | undefined;
    const hint: TimeHint = { onUtc: (cb) => (onUtc = cb) };
    const c = new AgentClock({ systemNow: () => BOOT_1970 + mono, isSynced: () => false, monotonicNow: () => mono });
    c.attach(hint);
    onUtc!(REAL, 1_000);
    mono = 61_000;
    expect(c.now()).toEqual({ ts: REAL + 60_000, synced: true, source: 'gnss' });
  });

  it('ignores an implausible GNSS time (receiver before its first almanac)', () => {
    const c = new AgentClock({ systemNow: () => BOOT_1970, isSynced: () => false, monotonicNow: () => 0 });
    c.onGnssUtc(Date.UTC(1999, 7, 22), 0);
    expect(c.now().synced).toBe(false);
  });
});

describe('systemClockSynced', () => {
  it('trusts systemd-timesyncd where it runs', () => {
    const files = new Set(['/run/systemd/timesync', '/run/systemd/timesync/synchronized']);
    expect(systemClockSynced(() => REAL, (p) => files.has(p))).toBe(true);
    files.delete('/run/systemd/timesync/synchronized');
    expect(systemClockSynced(() => REAL, (p) => files.has(p))).toBe(false);
  });

  it('elsewhere, trusts a plausible year only', () => {
    expect(systemClockSynced(() => REAL, () => false)).toBe(true);
    expect(systemClockSynced(() => PLAUSIBLE_SINCE_MS - 1, () => false)).toBe(false);
  });
});
