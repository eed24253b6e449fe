/**
 * The GNSS receiver reader over serialport 13: frames NMEA 0183 lines, keeps the latest fix, and
 * reopens the port with capped exponential backoff when the receiver goes away.
 */
import { EventEmitter } from 'node:events';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { pino, type Logger } from 'pino';
import { createSerialPort, type SerialPortStream } from '../obd/serial-port.js';
import { NmeaFixTracker, NmeaLineFramer, type GnssFix, type NmeaSentence } from './nmea-parser.js';

/** Options of {@link GnssReader}. */
export interface GnssReaderOptions {
  /** Serial device, e.g. `/dev/ttyUSB1` or `/dev/ttyAMA0`. */
  path: string;
  /** Baud rate. Default 9600 (NMEA 0183's 4800 is rare on modern receivers). */
  baudRate?: number;
  /** serialport binding. Default: the platform binding; tests pass a mock or simulator binding. */
  binding?: BindingInterface;
  /** First reopen delay, ms. Default 1000. */
  reopenMinMs?: number;
  /** Reopen delay cap, ms. Default 30000. */
  reopenMaxMs?: number;
  logger?: Logger;
}

/** Events: `sentence` for each accepted sentence, `connected` / `disconnected` for the port. */
export class GnssReader extends EventEmitter<{ sentence: [NmeaSentence]; connected: []; disconnected: [] }> {
  private port: SerialPortStream | undefined;
  private framer = new NmeaLineFramer();
  private readonly tracker = new NmeaFixTracker();
  private running = false;
  private attempts = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: GnssReaderOptions) {
    super();
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ mod: 'gnss' });
  }

  /** The latest fix (no fix until a sentence says otherwise). */
  current(): GnssFix {
    return this.tracker.current();
  }

  /** Lines refused so far (bad checksum or format). */
  get badSentences(): number {
    return this.tracker.bad;
  }

  /** Whether the port is open. */
  get connected(): boolean {
    return Boolean(this.port?.isOpen);
  }

  /** Starts opening the receiver in the background; never throws for a missing receiver. */
  async start(): Promise<void> {
    this.running = true;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reopenTimer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    port?.removeAllListeners();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const port = createSerialPort({ path: this.opts.path, baudRate: this.opts.baudRate ?? 9600, binding: this.opts.binding });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.log.debug({ err: (err as Error).message, path: this.opts.path }, 'cannot open receiver');
      return this.scheduleReopen();
    }
    if (!this.running) return void port.close(() => undefined);
    this.port = port;
    this.attempts = 0;
    this.framer = new NmeaLineFramer();
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.on('error', (err) => this.log.warn({ err: err.message }, 'serial port error'));
    port.once('close', () => this.onClose(port));
    this.log.info({ path: this.opts.path }, 'receiver open');
    this.emit('connected');
  }

  private onData(chunk: Buffer): void {
    for (const line of this.framer.push(chunk)) {
      const before = this.tracker.bad;
      const sentence = this.tracker.feed(line);
      if (sentence) this.emit('sentence', sentence);
      else if (this.tracker.bad % 100 === 1 && this.tracker.bad !== before) {
        this.log.warn({ bad: this.tracker.bad }, 'refused NMEA sentences (bad checksum or format)');
      }
    }
  }

  private onClose(port: SerialPortStream): void {
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (this.port !== port) return;
    this.port = undefined;
    this.log.warn({ path: this.opts.path }, 'receiver disconnected');
    this.emit('disconnected');
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (!this.running) return;
    const min = this.opts.reopenMinMs ?? 1000;
    const delay = Math.min(this.opts.reopenMaxMs ?? 30_000, min * 2 ** Math.min(this.attempts, 16));
    this.attempts++;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => void this.connect(), delay);
  }
}
