/**
 * The GNSS reading source: every settings interval it reports the latest fix as a `gnss` reading
 * (keys and units in agent/obd/README.md), or `{ fix: false }` while there is none — a no-fix
 * period is reported, not skipped. With `settings.gnss` false the receiver is closed and nothing
 * is emitted. It is also the agent's time hint: each valid RMC (status A) gives UTC.
 */
import { performance } from 'node:perf_hooks';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { Logger } from 'pino';
import type { EffectiveSettings } from '../../protocol/messages.js';
import type { ReadingSink, ReadingSource, TimeHint } from '../sources.js';
import { GnssReader, type GnssReaderOptions } from './gnss.js';
import type { GnssFix, NmeaSentence } from './nmea-parser.js';

/** Options of {@link GnssSource}. */
export interface GnssSourceOptions {
  /** Serial device of the receiver. */
  path: string;
  /** Baud rate. Default 9600. */
  baudRate?: number;
  /** serialport binding (tests, simulator). Default: the platform binding. */
  binding?: BindingInterface;
  /** Effective settings at start; later ones come through applySettings. */
  settings: EffectiveSettings;
  /** A fix older than this is no longer current (receiver silent), ms. Default 5000. */
  staleMs?: number;
  /** Monotonic clock, ms; the one passed to onUtc callbacks. Default performance.now. */
  monotonicNow?: () => number;
  /** Reader tuning (reopen backoff). Defaults: see GnssReaderOptions. */
  reader?: Pick<GnssReaderOptions, 'reopenMinMs' | 'reopenMaxMs'>;
  logger?: Logger;
}

export class GnssSource implements ReadingSource, TimeHint {
  private reader: GnssReader | undefined;
  private sink: ReadingSink | undefined;
  private settings: EffectiveSettings;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastSentenceAt: number | undefined;
  private readonly utcListeners: ((utcMs: number, monotonicMs: number) => void)[] = [];
  private readonly monotonicNow: () => number;

  constructor(private readonly opts: GnssSourceOptions) {
    this.settings = opts.settings;
    this.monotonicNow = opts.monotonicNow ?? (() => performance.now());
  }

  onUtc(cb: (utcMs: number, monotonicMs: number) => void): void {
    this.utcListeners.push(cb);
  }

  async start(sink: ReadingSink): Promise<void> {
    this.sink = sink;
    this.running = true;
    await this.apply();
  }

  applySettings(settings: EffectiveSettings): void {
    const changed = settings.gnss !== this.settings.gnss || settings.telemetryIntervalMs !== this.settings.telemetryIntervalMs;
    this.settings = settings;
    if (this.running && changed) void this.apply();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.closeReader();
  }

  /** NMEA lines refused so far (bad checksum or format) by the current reader. */
  badSentences(): number {
    return this.reader?.badSentences ?? 0;
  }

  /** The fix a reading would carry now. */
  currentFix(): GnssFix {
    const fix = this.reader?.current() ?? { fix: false };
    const stale = this.lastSentenceAt === undefined || this.monotonicNow() - this.lastSentenceAt > (this.opts.staleMs ?? 5000);
    return stale ? { fix: false } : fix;
  }

  /** Opens or closes the receiver and (re)starts the timer to match the settings. */
  private async apply(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.settings.gnss) return this.closeReader();
    if (!this.reader) {
      this.reader = new GnssReader({
        ...this.opts.reader, path: this.opts.path, baudRate: this.opts.baudRate, binding: this.opts.binding, logger: this.opts.logger,
      });
      this.reader.on('sentence', (s) => this.onSentence(s));
      await this.reader.start();
    }
    this.timer = setInterval(() => this.report(), this.settings.telemetryIntervalMs);
  }

  private async closeReader(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    this.lastSentenceAt = undefined;
    reader?.removeAllListeners();
    await reader?.stop();
  }

  private onSentence(s: NmeaSentence): void {
    if (s.type !== 'RMC' && s.type !== 'GGA') return;
    const mono = this.monotonicNow();
    this.lastSentenceAt = mono;
    if (s.type === 'RMC' && s.valid && s.utcMs !== undefined) {
      for (const cb of this.utcListeners) cb(s.utcMs, mono);
    }
  }

  private report(): void {
    if (!this.running || !this.settings.gnss) return;
    const f = this.currentFix();
    const data: Record<string, unknown> = f.fix
      ? {
          fix: true, lat: f.lat, lon: f.lon, speedMps: f.speedMps, headingDeg: f.headingDeg, quality: f.quality,
          satellites: f.satellites, hdop: f.hdop, altitudeM: f.altitudeM, utcMs: f.utcMs,
        }
      : { fix: false, satellites: f.satellites };
    for (const k of Object.keys(data)) if (data[k] === undefined) delete data[k];
    this.sink?.({ kind: 'gnss', data });
  }
}
