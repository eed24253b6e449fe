/**
 * The OBD-II reading source: polls an ELM327 at the settings' interval and turns its answers into
 * `obd` and `dtc` readings (keys and units in agent/obd/README.md).
 *
 * Ignition is a state, not an error: while the bus is silent (`UNABLE TO CONNECT`, `NO DATA`,
 * `CAN ERROR`, `BUS INIT...ERROR`) the source reports `{ ignition: 'off', batteryV }` and probes
 * the bus again only every `ignitionOffRetryMs`, or at once when the battery voltage rises to
 * charging level (`wakeVoltage`: the engine started). On each ignition-on it reads the supported PIDs,
 * the VIN (mode 09 PID 02) and the stored trouble codes (mode 03); DTCs are re-read every
 * `dtcIntervalMs` and reported again only when they change.
 */
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { pino, type Logger } from 'pino';
import type { EffectiveSettings } from '../../protocol/messages.js';
import type { ReadingSink, ReadingSource, VehicleInfo } from '../sources.js';
import { Elm327, type Elm327Options, type QueryResult } from './elm327.js';
import type { ObdMessage } from './elm327-parser.js';
import { decodeDtcs, decodeMode01, decodeSupportBitmap, decodeVin, MODE01_PIDS, parseVoltage, pidHex } from './pids.js';

/** Options of {@link ObdSource}. */
export interface ObdSourceOptions {
  /** Serial device of the ELM327. */
  path: string;
  /** Baud rate. Default 38400. */
  baudRate?: number;
  /** serialport binding (tests, simulator). Default: the platform binding. */
  binding?: BindingInterface;
  /** Effective settings at start; later ones come through applySettings. */
  settings: EffectiveSettings;
  /** How often the bus is probed while the ignition is off, ms. Default 30000. */
  ignitionOffRetryMs?: number;
  /**
   * Battery voltage (ATRV) that means the alternator is charging, so the engine runs: rising
   * through it while the ignition is off probes the bus at once instead of waiting for the slow
   * retry. Default 13.5 V (a resting 12 V battery reads 12.0-12.8 V, a charging one 13.7-14.7 V).
   */
  wakeVoltage?: number;
  /** How often stored DTCs are re-read while the ignition is on, ms. Default 60000. */
  dtcIntervalMs?: number;
  /** Driver tuning (timeouts, reopen backoff). Defaults: see Elm327Options. */
  driver?: Omit<Elm327Options, 'path' | 'baudRate' | 'binding' | 'logger'>;
  /** Clock, ms. Default Date.now. */
  now?: () => number;
  logger?: Logger;
}

/** Bus answers that mean "nobody is talking": the ignition is off (or the ECU asleep). */
const SILENT_BUS = new Set(['no-data', 'unable-to-connect', 'can-error', 'bus-init-error', 'bus-error', 'timeout']);

type Ignition = 'unknown' | 'on' | 'off';

export class ObdSource implements ReadingSource, VehicleInfo {
  private elm: Elm327 | undefined;
  private sink: ReadingSink | undefined;
  private settings: EffectiveSettings;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  private ignition: Ignition = 'unknown';
  private supported = new Set<number>();
  private lastProbe = 0;
  private lastDtcRead = 0;
  private lastBatteryV: number | undefined;
  private woken = false;
  private dtcKey: string | undefined;
  private vinValue: string | null = null;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: ObdSourceOptions) {
    this.settings = opts.settings;
    this.now = opts.now ?? Date.now;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ mod: 'obd' });
  }

  /** The VIN read at the last ignition-on, or null before one was read. */
  vin(): string | null {
    return this.vinValue;
  }

  /** The ignition state as last seen on the bus. */
  ignitionState(): Ignition {
    return this.ignition;
  }

  async start(sink: ReadingSink): Promise<void> {
    this.sink = sink;
    this.running = true;
    this.elm = new Elm327({
      ...this.opts.driver, path: this.opts.path, baudRate: this.opts.baudRate, binding: this.opts.binding, logger: this.log,
    });
    // A (re)initialised adapter may sit in another vehicle: learn everything again.
    this.elm.on('ready', () => {
      this.ignition = 'unknown';
      this.dtcKey = undefined;
      this.schedule(0);
    });
    await this.elm.start();
  }

  applySettings(settings: EffectiveSettings): void {
    const sooner = settings.telemetryIntervalMs < this.settings.telemetryIntervalMs;
    this.settings = settings;
    if (sooner && this.timer) this.schedule(settings.telemetryIntervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.elm?.stop();
    this.elm?.removeAllListeners();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.cycle(), delayMs);
  }

  private async cycle(): Promise<void> {
    // A cycle still running (e.g. across a reconnect) reschedules itself when it ends.
    if (this.busy) return;
    this.busy = true;
    const started = this.now();
    try {
      if (this.elm?.ready) await this.poll();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'poll failed');
    } finally {
      this.busy = false;
    }
    const interval = this.settings.telemetryIntervalMs;
    this.schedule(Math.max(0, interval - (this.now() - started)));
  }

  private async poll(): Promise<void> {
    if (this.probeDue()) await this.probe();
    if (!this.elm?.ready) return;
    if (this.ignition !== 'on') {
      this.emit('obd', { ignition: 'off', ...(await this.battery()) });
      return;
    }
    const values = await this.readValues();
    if (!values) {
      this.log.info('bus went silent: ignition off');
      this.ignition = 'off';
      this.lastProbe = this.now();
      this.emit('obd', { ignition: 'off', ...(await this.battery()) });
      return;
    }
    this.emit('obd', { ignition: 'on', ...values, ...(await this.battery()) });
    if (this.now() - this.lastDtcRead >= (this.opts.dtcIntervalMs ?? 60_000)) await this.readDtcs(false);
  }

  /** Unknown ignition: probe now; ignition off: probe only every ignitionOffRetryMs (slow retry). */
  private probeDue(): boolean {
    if (this.ignition === 'unknown' || this.woken) return true;
    return this.ignition === 'off' && this.now() - this.lastProbe >= (this.opts.ignitionOffRetryMs ?? 30_000);
  }

  /** Asks the bus for PIDs 01-20; on an answer the ignition is on: read PIDs, VIN and DTCs. */
  private async probe(): Promise<void> {
    const elm = this.elm!;
    this.lastProbe = this.now();
    this.woken = false;
    const first = await elm.query('0100', elm.searchTimeoutMs);
    if (!first.ok) {
      if (first.error !== 'disconnected' && this.ignition !== 'off') {
        this.log.info({ answer: first.error }, 'no answer from the vehicle: ignition off');
        this.ignition = 'off';
      }
      return;
    }
    this.supported = await this.readSupported(first);
    this.ignition = 'on';
    const vin = decodeVin(messagesOf(await elm.query('0902')));
    if (vin) this.vinValue = vin;
    this.log.info({ supported: [...this.supported].map(pidHex), vinRead: vin !== null }, 'ignition on');
    await this.readDtcs(true);
  }

  /** Follows the support bitmaps 0100, 0120, ... (J1979: bit 0 of D announces the next). */
  private async readSupported(first: QueryResult): Promise<Set<number>> {
    const supported = new Set<number>();
    let answer = first;
    for (let base = 0; base <= 0xe0; base += 0x20) {
      for (const b of messagesOf(answer)) {
        if (b[0] === 0x41 && b[1] === base) decodeSupportBitmap(base, b.slice(2)).forEach((p) => supported.add(p));
      }
      if (!supported.has(base + 0x20) || base + 0x20 > 0xe0) break;
      answer = await this.elm!.query(`01${pidHex(base + 0x20)}`);
    }
    return supported;
  }

  /** Reads the enabled PIDs; undefined when none answered because the bus is silent. */
  private async readValues(): Promise<Record<string, number> | undefined> {
    const enabled = this.settings.obdPids.map((h) => parseInt(h, 16)).filter((p) => this.supported.has(p) && MODE01_PIDS.has(p));
    // With no PID enabled, 0100 still tells whether the bus is alive (ignition).
    const pids = enabled.length > 0 ? enabled : [0x00];
    const values: Record<string, number> = {};
    let answered = 0, silent = 0;
    for (const pid of pids) {
      const r = await this.elm!.query(`01${pidHex(pid)}`);
      if (!r.ok) {
        if (SILENT_BUS.has(r.error)) silent++;
        if (r.error === 'disconnected') return values;
        continue;
      }
      answered++;
      const m = pickEcu(r.messages, (b) => b[0] === 0x41 && b[1] === pid);
      const decoded = m && decodeMode01(pid, m.bytes.slice(2));
      if (decoded) values[decoded.key] = decoded.value;
    }
    return answered === 0 && silent > 0 ? undefined : values;
  }

  private async battery(): Promise<{ batteryV?: number }> {
    const r = await this.elm!.command('ATRV').catch(() => undefined);
    const v = r?.kind === 'text' ? parseVoltage(r.text) : undefined;
    if (v === undefined) return {};
    const wake = this.opts.wakeVoltage ?? 13.5;
    if (this.ignition === 'off' && v >= wake && (this.lastBatteryV ?? 0) < wake) this.woken = true;
    this.lastBatteryV = v;
    return { batteryV: v };
  }

  /** Reads stored DTCs; reports them on ignition-on (`always`) or when they changed. */
  private async readDtcs(always: boolean): Promise<void> {
    const r = await this.elm!.query('03');
    if (!r.ok) return;
    this.lastDtcRead = this.now();
    const codes = decodeDtcs(r.messages.map((m) => m.bytes)).sort();
    const key = codes.join(',');
    if (!always && key === this.dtcKey) return;
    this.dtcKey = key;
    this.emit('dtc', { codes, count: codes.length });
  }

  private emit(kind: string, data: Record<string, unknown>): void {
    if (this.running) this.sink?.({ kind, data });
  }
}

const messagesOf = (r: QueryResult): number[][] => (r.ok ? r.messages.map((m) => m.bytes) : []);

/** Picks the engine ECU's answer when several ECUs answer: the lowest CAN header (7E8 first). */
function pickEcu(messages: ObdMessage[], match: (b: number[]) => boolean): ObdMessage | undefined {
  const hits = messages.filter((m) => match(m.bytes));
  return hits.sort((a, b) => (a.header ?? '').localeCompare(b.header ?? ''))[0];
}
