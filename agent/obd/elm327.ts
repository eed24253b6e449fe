/**
 * The ELM327 port driver over serialport 13: opens the adapter, initialises it, runs one command
 * at a time with a timeout, and survives an adapter that is unplugged and plugged back (reopen
 * with capped exponential backoff, then initialise again). I/O errors carry `disconnected: true`
 * or `timeout: true` (STYLE.md), never a message to match.
 */
import { EventEmitter } from 'node:events';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import { pino, type Logger } from 'pino';
import { PortKeeper } from '../serial/port-keeper.js';
import type { SerialPortStream } from '../serial/serial-port.js';
import { assembleMessages, Elm327Framer, parseResponse, type Elm327Response, type ElmErrorKind, type ObdMessage } from './elm327-parser.js';

/** Options of {@link Elm327}. */
export interface Elm327Options {
  /** Serial device, e.g. `/dev/ttyUSB0` or `/dev/rfcomm0`. */
  path: string;
  /** Baud rate. Default 38400 (the ELM327 v1.5 default). */
  baudRate?: number;
  /** serialport binding. Default: the platform binding; tests pass a mock or simulator binding. */
  binding?: BindingInterface;
  /** Timeout of an ordinary command, ms. Default 2000 (the adapter's own bus timeout is ~200 ms). */
  commandTimeoutMs?: number;
  /** Timeout of a request that may trigger a protocol search (ATSP0), ms. Default 15000. */
  searchTimeoutMs?: number;
  /** Timeout of `ATZ`, ms. Default 5000. */
  resetTimeoutMs?: number;
  /** After a timeout, quiet time allowed for a late answer before the next command, ms. Default 300. */
  settleMs?: number;
  /** Consecutive timeouts after which the adapter is treated as gone and reopened. Default 3. */
  maxTimeouts?: number;
  /** First reopen delay, ms. Default 1000. */
  reopenMinMs?: number;
  /** Reopen delay cap, ms. Default 30000. */
  reopenMaxMs?: number;
  /** Initialisation sequence after each open. Default {@link INIT_COMMANDS}. */
  initCommands?: readonly string[];
  logger?: Logger;
}

/** An I/O failure: `disconnected` (port gone or not open) or `timeout` (no prompt in time). */
export class Elm327IoError extends Error {
  constructor(
    message: string,
    readonly disconnected: boolean,
    readonly timeout: boolean,
  ) {
    super(message);
  }
}

/** A request's outcome: reassembled messages, or why there are none. */
export type QueryResult =
  | { ok: true; messages: ObdMessage[]; searching: boolean }
  | { ok: false; error: ElmErrorKind | 'timeout' | 'disconnected' | 'garbage'; text?: string };

/** The initialisation sequence: reset, echo off, linefeeds off, spaces off, headers off, auto protocol. */
export const INIT_COMMANDS = ['ATZ', 'ATE0', 'ATL0', 'ATS0', 'ATH0', 'ATSP0'] as const;

interface Pending {
  cmd: string;
  resolve(r: Elm327Response): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Events: `ready` after each successful initialisation, `disconnected` when the port is lost. */
export class Elm327 extends EventEmitter<{ ready: []; disconnected: [] }> {
  private readonly keeper: PortKeeper;
  private readonly framer = new Elm327Framer();
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private timeouts = 0;
  private settle = false;
  private isReady = false;
  private headersOn = false;
  private readonly log: Logger;

  constructor(private readonly opts: Elm327Options) {
    super();
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ mod: 'elm327' });
    this.keeper = new PortKeeper(
      { ...opts, baudRate: opts.baudRate ?? 38400, device: 'adapter', logger: this.log },
      { opened: (port) => this.onOpen(port), closed: () => this.onClose() },
    );
  }

  /** Whether headers are on (tracked from the ATH and reset commands sent). */
  get headers(): boolean {
    return this.headersOn;
  }

  /** True once initialised and until the port is lost. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Starts opening the adapter in the background; never throws for a missing adapter. */
  async start(): Promise<void> {
    this.keeper.start();
  }

  /** Stops reopening, fails the command in flight and closes the port. */
  async stop(): Promise<void> {
    const closing = this.keeper.stop(); // drops the port before the failed command's caller runs
    this.failPending(new Elm327IoError('stopped', true, false));
    this.isReady = false;
    await closing;
  }

  /** Sends a command and resolves with the classified answer; rejects with {@link Elm327IoError}. */
  command(cmd: string, timeoutMs = this.opts.commandTimeoutMs ?? 2000): Promise<Elm327Response> {
    const run = this.chain.then(() => this.exec(cmd, timeoutMs));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends an OBD request and reassembles the answer; never throws. */
  async query(cmd: string, timeoutMs?: number): Promise<QueryResult> {
    try {
      const r = await this.command(cmd, timeoutMs);
      if (r.kind === 'error') return { ok: false, error: r.error, text: r.text };
      if (r.kind !== 'data') return { ok: false, error: 'garbage', text: r.kind === 'text' ? r.text : 'OK' };
      return { ok: true, messages: assembleMessages(r.lines, this.headers), searching: r.searching };
    } catch (err) {
      return { ok: false, error: (err as Elm327IoError).disconnected ? 'disconnected' : 'timeout' };
    }
  }

  /** The timeout for a request that may start a protocol search. */
  get searchTimeoutMs(): number {
    return this.opts.searchTimeoutMs ?? 15_000;
  }

  private async exec(cmd: string, timeoutMs: number): Promise<Elm327Response> {
    if (this.settle) {
      this.settle = false;
      await new Promise((r) => setTimeout(r, this.opts.settleMs ?? 300));
    }
    const port = this.keeper.port;
    if (!port?.isOpen) throw new Elm327IoError('adapter not connected', true, false);
    const response = await new Promise<Elm327Response>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(cmd), timeoutMs);
      this.pending = { cmd, resolve, reject, timer };
      // The adapter speaks only when asked: unterminated bytes held now are line noise or the
      // rest of a stale answer, never part of this one.
      this.framer.reset();
      port.write(`${cmd}\r`);
    });
    this.timeouts = 0;
    const h = /^ATH([01])$/i.exec(cmd);
    if (h && response.kind === 'ok') this.headersOn = h[1] === '1';
    if (/^AT(Z|WS|D)$/i.test(cmd)) this.headersOn = false; // a reset restores the default, headers off
    return response;
  }

  private onTimeout(cmd: string): void {
    this.failPending(new Elm327IoError(`no answer to ${cmd}`, false, true));
    this.timeouts++;
    this.settle = true;
    this.log.warn({ cmd, timeouts: this.timeouts }, 'command timed out');
    // Any character interrupts an adapter still busy on the bus (it answers STOPPED); a space is
    // ignored by its command parser, so it cannot turn into a command.
    this.keeper.port?.write(' ');
    if (this.timeouts >= (this.opts.maxTimeouts ?? 3)) {
      this.log.warn('adapter not answering, reopening');
      this.timeouts = 0;
      this.keeper.close();
    }
  }

  private onFrame(frame: string): void {
    const p = this.pending;
    if (!p) return; // a late answer to a timed-out command
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(parseResponse(frame, p.cmd));
  }

  private failPending(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  private async onOpen(port: SerialPortStream): Promise<void> {
    this.framer.reset();
    port.on('data', (chunk: Buffer) => this.framer.push(chunk).forEach((f) => this.onFrame(f)));
    await this.initialise();
  }

  private async initialise(): Promise<void> {
    try {
      for (const cmd of this.opts.initCommands ?? INIT_COMMANDS) {
        const r = await this.command(cmd, cmd === 'ATZ' ? (this.opts.resetTimeoutMs ?? 5000) : undefined);
        if (cmd === 'ATZ' && !(r.kind === 'text' && /ELM327/i.test(r.text))) throw new Error(`not an ELM327: ${JSON.stringify(r)}`);
        // Some clones refuse a setting (`?`); the parser copes with echo, spaces and headers, so go on.
        if (cmd !== 'ATZ' && r.kind !== 'ok') this.log.warn({ cmd, answer: r }, 'adapter refused an initialisation command');
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'adapter initialisation failed');
      this.keeper.close();
      return;
    }
    // Only an adapter that answered its initialisation counts as back: one that opens and then
    // fails keeps backing off.
    this.keeper.resetBackoff();
    this.isReady = true;
    this.log.info({ path: this.opts.path }, 'adapter ready');
    this.emit('ready');
  }

  private onClose(): void {
    const wasReady = this.isReady;
    this.isReady = false;
    this.headersOn = false;
    this.failPending(new Elm327IoError('adapter disconnected', true, false));
    if (wasReady) {
      this.log.warn({ path: this.opts.path }, 'adapter disconnected');
      this.emit('disconnected');
    }
  }
}
