/**
 * The GNSS receiver reader over serialport 13: frames NMEA 0183 lines, keeps the latest fix, and
 * reopens the port with capped exponential backoff when the receiver goes away.
 */
import { EventEmitter } from 'node:events';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { pino, type Logger } from 'pino';
import { PortKeeper } from '../serial/port-keeper.js';
import type { SerialPortStream } from '../serial/serial-port.js';
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
  private readonly keeper: PortKeeper;
  private framer = new NmeaLineFramer();
  private readonly tracker = new NmeaFixTracker();
  private readonly log: Logger;

  constructor(private readonly opts: GnssReaderOptions) {
    super();
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ mod: 'gnss' });
    this.keeper = new PortKeeper(
      { ...opts, baudRate: opts.baudRate ?? 9600, device: 'receiver', logger: this.log },
      { opened: (port) => this.onOpen(port), closed: () => this.onClose() },
    );
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
    return Boolean(this.keeper.port?.isOpen);
  }

  /** Starts opening the receiver in the background; never throws for a missing receiver. */
  async start(): Promise<void> {
    this.keeper.start();
  }

  async stop(): Promise<void> {
    await this.keeper.stop();
  }

  private onOpen(port: SerialPortStream): void {
    this.keeper.resetBackoff(); // a receiver needs no set-up: open is working
    this.framer = new NmeaLineFramer();
    port.on('data', (chunk: Buffer) => this.onData(chunk));
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

  private onClose(): void {
    this.log.warn({ path: this.opts.path }, 'receiver disconnected');
    this.emit('disconnected');
  }
}
