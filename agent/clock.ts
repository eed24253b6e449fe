/**
 * Trustworthy time for records. A Raspberry Pi has no real-time clock: after boot its system clock
 * is whatever fake-hwclock saved (or 1970) until NTP syncs it. So a record's `ts` comes from, in
 * order: the system clock once it is synced; else the last GNSS UTC fix (RMC status A, NMEA 0183)
 * carried forward by the monotonic clock; else the system clock as a best guess, and the record
 * says so with `data.clock: "unsynced"` instead of carrying a wrong time silently.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { TimeHint } from './sources.js';

/** A timestamp and whether it can be trusted. */
export interface Stamp {
  /** Integer milliseconds since the Unix epoch (UTC). */
  ts: number;
  /** False when no trustworthy time is known yet (the record gets `data.clock: "unsynced"`). */
  synced: boolean;
  /** Where the time came from. */
  source: 'system' | 'gnss' | 'guess';
}

/** Options of {@link AgentClock}; every default is the real thing. */
export interface ClockOptions {
  /** The system wall clock. Default Date.now. */
  systemNow?: () => number;
  /** A monotonic clock in ms; must be the one the TimeHint reports. Default performance.now. */
  monotonicNow?: () => number;
  /** Whether the system clock is synced. Default {@link systemClockSynced}. */
  isSynced?: () => boolean;
}

/** 2024-01-01T00:00:00Z: a system clock before this has certainly never been synced. */
export const PLAUSIBLE_SINCE_MS = 1_704_067_200_000;

/**
 * systemd-timesyncd creates /run/systemd/timesync/synchronized once the clock is synced; where
 * timesyncd runs, that file decides. Elsewhere (chrony, ntpd) fall back to "the year is plausible".
 */
export function systemClockSynced(now: () => number = Date.now, exists: (p: string) => boolean = existsSync): boolean {
  if (exists('/run/systemd/timesync/synchronized')) return true;
  if (exists('/run/systemd/timesync')) return false;
  return now() >= PLAUSIBLE_SINCE_MS;
}

export class AgentClock {
  private gnss: { utcMs: number; monotonicMs: number } | undefined;
  private readonly systemNow: () => number;
  private readonly monotonicNow: () => number;
  private readonly isSynced: () => boolean;

  constructor(options: ClockOptions = {}) {
    this.systemNow = options.systemNow ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.isSynced = options.isSynced ?? (() => systemClockSynced(this.systemNow));
  }

  /** Listens to a GNSS receiver's UTC fixes. */
  attach(hint: TimeHint): void {
    hint.onUtc((utcMs, monotonicMs) => this.onGnssUtc(utcMs, monotonicMs));
  }

  /** A UTC fix from GNSS, taken at `monotonicMs` on the monotonic clock. */
  onGnssUtc(utcMs: number, monotonicMs: number): void {
    if (Number.isFinite(utcMs) && utcMs >= PLAUSIBLE_SINCE_MS) this.gnss = { utcMs, monotonicMs };
  }

  now(): Stamp {
    if (this.isSynced()) return { ts: Math.round(this.systemNow()), synced: true, source: 'system' };
    if (this.gnss) {
      const ts = this.gnss.utcMs + (this.monotonicNow() - this.gnss.monotonicMs);
      return { ts: Math.round(ts), synced: true, source: 'gnss' };
    }
    return { ts: Math.max(0, Math.round(this.systemNow())), synced: false, source: 'guess' };
  }
}
