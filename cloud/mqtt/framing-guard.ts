import { Duplex } from 'node:stream';
import { FrameScanner, type RejectReason } from './frame-scanner.js';

export { FrameScanner, type RejectReason } from './frame-scanner.js';

/**
 * A framing guard in front of aedes' parser, so hostile connections are closed the way Mosquitto
 * closes them. aedes 1.x has no maximum packet size: mqtt-packet buffers a declared body until it
 * is complete, so a first packet declaring 256 MiB grows the process by whatever the peer sends,
 * and the socket stays open until aedes' 30 s connect timeout. The guard reads only MQTT 3.1.1
 * fixed headers (and the first 14 bytes of CONNECT), never buffers a body, and passes every byte
 * through unchanged.
 */

/** Options of {@link guardStream}. */
export interface GuardOptions {
  /**
   * Largest Remaining Length accepted, in bytes; a packet declaring more closes the connection
   * before its body is read. Default {@link DEFAULT_MAX_PACKET_BYTES} (300 KiB): a telemetry batch
   * is at most 256 KiB of payload (CONTRACT.md), plus topic and packet id, with room to spare so a
   * batch slightly over the limit still reaches ingest and is refused in the ack with a reason.
   */
  maxPacketBytes?: number;
  /**
   * Time allowed from the start of the guard (after any TLS or WebSocket handshake) until a whole
   * CONNECT has passed. Default {@link DEFAULT_CONNECT_TIMEOUT_MS} (10 s, as Mosquitto).
   */
  connectTimeoutMs?: number;
  /** Called once per refused connection, for metrics. Never given any payload byte. */
  onReject?: (reason: RejectReason) => void;
  /** Peer address exposed as `remoteAddress` when the raw stream has none (WebSocket). */
  remoteAddress?: string;
}

export const DEFAULT_MAX_PACKET_BYTES = 300 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The largest Remaining Length MQTT 3.1.1 can encode (2.2.3). */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;
/** How long a refused CONNECT's socket may stay open so its CONNACK is delivered. */
const CONNACK_LINGER_MS = 1000;
/** CONNACK, Remaining Length 2, session present 0, return code 2 "identifier rejected" (3.2). */
const CONNACK_IDENTIFIER_REJECTED = Buffer.from([0x20, 0x02, 0x00, 0x02]);

/** Fills in defaults and checks ranges, once at start-up, so a bad setting fails there. */
export function resolveGuardOptions(opts: GuardOptions = {}): GuardOptions {
  const maxPacketBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isInteger(maxPacketBytes) || maxPacketBytes < 2 || maxPacketBytes > MQTT_MAX_REMAINING_LENGTH) {
    throw new RangeError(`maxPacketBytes must be an integer from 2 to ${MQTT_MAX_REMAINING_LENGTH}`);
  }
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw new RangeError('connectTimeoutMs must be a positive number');
  }
  return { ...opts, maxPacketBytes, connectTimeoutMs };
}

function noop(): void {}

/**
 * The guarded connection handed to `aedes.handle`. Backpressure both ways (the raw stream is
 * paused while aedes does not read, e.g. during authentication); destroying either side destroys
 * the other, and ending either side ends the other.
 */
export class GuardedStream extends Duplex {
  /** The peer's address, for hooks (`client.conn.remoteAddress`), on TCP, TLS and WebSocket. */
  readonly remoteAddress: string | undefined;
  readonly #raw: Duplex;
  readonly #scanner: FrameScanner;
  readonly #timeoutMs: number;
  readonly #onReject: (reason: RejectReason) => void;
  #timer: NodeJS.Timeout | undefined;
  #rawPaused = false;
  #pendingWrite: ((err?: Error | null) => void) | undefined;
  #corked = false;
  #refused = false;
  #lingering = false;
  readonly #listeners: Array<[string, (...args: never[]) => void]> = [];

  constructor(raw: Duplex, opts: GuardOptions = {}) {
    super({ allowHalfOpen: false });
    this.#raw = raw;
    this.remoteAddress = (raw as Duplex & { remoteAddress?: string }).remoteAddress ?? opts.remoteAddress;
    this.#scanner = new FrameScanner(opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES);
    this.#timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#onReject = opts.onReject ?? noop;
  }

  /** Attaches to the raw stream and starts the connect timer. */
  start(): this {
    this.#listen('data', (chunk: Buffer) => this.#onData(chunk));
    this.#listen('end', () => this.push(null));
    this.#listen('error', (err: Error) => this.destroy(err));
    this.#listen('close', () => this.destroy());
    this.#listen('drain', () => this.#onDrain());
    this.#timer = setTimeout(() => this.#refuse('connect-timeout'), this.#timeoutMs);
    // The peer may have gone between accept and now; its 'close' has then already been emitted.
    if (this.#raw.destroyed) queueMicrotask(() => this.destroy());
    return this;
  }

  #listen(event: string, fn: (...args: never[]) => void): void {
    this.#raw.on(event, fn as (...args: unknown[]) => void);
    this.#listeners.push([event, fn]);
  }

  #onData(chunk: Buffer): void {
    if (this.#refused) return;
    const result = this.#scanner.feed(chunk);
    if (result.reject) return this.#refuse(result.reject);
    if (result.connectComplete) clearTimeout(this.#timer);
    if (result.forward && !this.push(result.forward)) {
      this.#rawPaused = true;
      this.#raw.pause();
    }
  }

  #refuse(reason: RejectReason): void {
    if (this.#refused || this.destroyed) return;
    this.#refused = true;
    try {
      this.#onReject(reason);
    } catch {
      // a metrics callback must not keep a hostile connection open
    }
    if (reason !== 'empty-client-id') return void this.destroy();
    // [MQTT-3.1.3-8]: answer CONNACK 0x02, then close. Keep draining what the peer still sends so
    // the close is a FIN, not a reset that could discard the CONNACK before the peer reads it.
    this.#lingering = true;
    this.destroy();
    const raw = this.#raw;
    const timer = setTimeout(() => raw.destroy(), CONNACK_LINGER_MS);
    raw.once('close', () => clearTimeout(timer));
    raw.resume();
    raw.end(CONNACK_IDENTIFIER_REJECTED);
  }

  #onDrain(): void {
    const callback = this.#pendingWrite;
    this.#pendingWrite = undefined;
    callback?.();
  }

  override _read(): void {
    if (!this.#rawPaused) return;
    this.#rawPaused = false;
    this.#raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#corkTurn();
    if (this.#raw.write(chunk)) callback();
    else this.#pendingWrite = callback;
  }

  /** mqtt-packet corks for each packet's parts; keep them one socket write, not one per part. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.#corkTurn();
    let ok = true;
    for (const { chunk } of chunks) ok = this.#raw.write(chunk);
    if (ok) callback();
    else this.#pendingWrite = callback;
  }

  /**
   * Packets written in one event-loop turn leave in one socket write: a subscriber that gets the
   * fan-out of a whole group commit, or a device that gets its PUBACK and telemetry/ack together,
   * costs one syscall instead of one per packet.
   */
  #corkTurn(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#raw.cork();
    setImmediate(() => this.#flushTurn());
  }

  #flushTurn(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#raw.uncork();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#raw.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    clearTimeout(this.#timer);
    for (const [event, fn] of this.#listeners) this.#raw.off(event, fn as (...args: unknown[]) => void);
    this.#listeners.length = 0;
    this.#pendingWrite = undefined;
    // One inert listener, so a late error (EPIPE, ECONNRESET) on a closing socket cannot crash us.
    if (!this.#raw.listeners('error').includes(noop)) this.#raw.on('error', noop);
    // What this turn wrote (a refusing CONNACK before aedes closes) leaves before the socket goes.
    this.#flushTurn();
    if (!this.#lingering) this.#raw.destroy();
    callback(err);
  }
}

/**
 * Wraps a raw connection (net.Socket, tls.TLSSocket, or a ws `createWebSocketStream` duplex) for
 * `aedes.handle`: `aedes.handle(guardStream(socket, opts))`.
 */
export function guardStream(raw: Duplex, opts: GuardOptions = {}): GuardedStream {
  return new GuardedStream(raw, opts).start();
}
