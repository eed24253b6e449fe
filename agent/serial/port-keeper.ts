/**
 * The port lifecycle both serial drivers (ELM327 and GNSS) share: open the device in the
 * background, notice when it goes away (unplugged USB adapter, receiver losing power), and reopen
 * it with capped exponential backoff until stopped. What a driver does with an open port, and how
 * it reacts to losing one, stays in the driver ({@link PortKeeperHandlers}).
 */
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { Logger } from 'pino';
import { createSerialPort, type SerialPortStream } from './serial-port.js';

/** Options of {@link PortKeeper}. */
export interface PortKeeperOptions {
  /** Serial device, e.g. `/dev/ttyUSB0`. */
  path: string;
  baudRate: number;
  /** serialport binding. Default: the platform binding (see createSerialPort). */
  binding?: BindingInterface;
  /** First reopen delay, ms. Default 1000. */
  reopenMinMs?: number;
  /** Reopen delay cap, ms. Default 30000. */
  reopenMaxMs?: number;
  /** What the device is called in logs (`adapter`, `receiver`). */
  device: string;
  logger: Logger;
}

/** The driver's side of the lifecycle. */
export interface PortKeeperHandlers {
  /**
   * A port was opened: attach the data listener and do any set-up. The keeper already logs
   * errors and watches for the close. Call {@link PortKeeper.resetBackoff} once the device counts
   * as working (on open, or only after the driver's own initialisation succeeded).
   */
  opened(port: SerialPortStream): void | Promise<void>;
  /** The current port closed while running (device lost or closed by the driver); a reopen follows. */
  closed(): void;
}

/** Keeps one serial port open while started; constructing it does nothing. */
export class PortKeeper {
  private current: SerialPortStream | undefined;
  private running = false;
  private attempts = 0;
  private reopenTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: PortKeeperOptions,
    private readonly handlers: PortKeeperHandlers,
  ) {}

  /** The open port, if any. */
  get port(): SerialPortStream | undefined {
    return this.current;
  }

  /** Starts opening the device in the background; never throws for a missing device. */
  start(): void {
    this.running = true;
    void this.connect();
  }

  /** Stops reopening and closes the port. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reopenTimer);
    const port = this.current;
    this.current = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    port?.removeAllListeners();
  }

  /** Closes the port so that it is reopened (the device stopped answering). */
  close(): void {
    if (this.current?.isOpen) this.current.close(() => undefined);
  }

  /** The device works: the next outage starts again from the first reopen delay. */
  resetBackoff(): void {
    this.attempts = 0;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const { path, baudRate, binding, device } = this.opts;
    const port = createSerialPort({ path, baudRate, binding });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message, path }, `cannot open ${device}`);
      return this.scheduleReopen();
    }
    if (!this.running) return void port.close(() => undefined);
    this.current = port;
    port.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'serial port error'));
    port.once('close', () => this.onClose(port));
    await this.handlers.opened(port);
  }

  private onClose(port: SerialPortStream): void {
    port.removeAllListeners();
    port.on('error', () => undefined); // a late error from a dead port must not crash the agent
    if (this.current !== port) return;
    this.current = undefined;
    this.handlers.closed();
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
