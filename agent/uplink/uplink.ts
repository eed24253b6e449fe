/**
 * The agent's MQTT 3.1.1 link to the registry (contract, MQTT section, device side).
 *
 * - Logs in with client id = username = unit id, password = the device secret, and a persistent
 *   session (clean: false), so QoS 1 acks and ownership messages sent while it is away still come.
 * - Reconnects itself (mqtt.js reconnectPeriod 0) with a jittered, capped exponential backoff.
 * - On every connect: subscribes to its `ownership` and `telemetry/ack`, publishes `hello`.
 * - Ownership: applied when newer (epoch, then issuedAt), persisted atomically BEFORE the
 *   `ownership/ack`; one it already holds is acknowledged again; an older one is ignored.
 * - Telemetry: the oldest queued batch is published (QoS 1), one batch in flight; the records are
 *   deleted only when the registry's `telemetry/ack` covers them (end to end, on any broker).
 * - A login refused with return code 4 or 5 means "credentials revoked or wrong": one log line,
 *   the queue is kept, and it keeps retrying with backoff.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { HelloSchema, MAX_BATCH_BYTES, MAX_RECORDS_PER_BATCH, TelemetryAckSchema, type Hello, type Ownership } from '../../protocol/messages.js';
import { deviceTopic, parseDeviceTopic } from '../../protocol/topics.js';
import type { DurableQueue } from '../queue/queue.js';
import type { OwnershipStore } from '../state/ownership-state.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { settleMqttPacketMemory } from './mqtt-packet-memory.js';
import { handleOwnershipMessage } from './ownership-message.js';

/** What the uplink needs; every tunable has its default in its comment. */
export interface UplinkOptions {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  unitId: string;
  /** The device secret (MQTT password). Never logged. */
  secret: string;
  agentVersion: string;
  /** PEM of a private CA for mqtts:// and wss:// (AGENT_CA_FILE). */
  ca?: Buffer;
  queue: DurableQueue;
  ownership: OwnershipStore;
  log: Logger;
  /** Called once a newer ownership is persisted, before it is acknowledged (apply the settings). */
  onOwnership?: (ownership: Ownership) => void;
  /** The vehicle's VIN for `hello`, when known. */
  vin?: () => string | null;
  /** Reconnect backoff. Default 1 s doubling up to 60 s, equal jitter. */
  backoff?: BackoffOptions;
  /** Records per batch. Default 500 (the contract's limit). */
  batchRecords?: number;
  /** Bytes per batch. Default 256 KiB (the contract's limit). */
  batchBytes?: number;
  /** How long to wait for a `telemetry/ack` before sending the batch again. Default 30 000 ms. */
  ackTimeoutMs?: number;
  /** MQTT CONNECT timeout. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** MQTT keepalive in seconds. Default 60. */
  keepaliveS?: number;
}

type Waiter = () => void;

export class Uplink {
  private client: MqttClient | undefined;
  private online = false;
  private stopped = true;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private inflight: { lastSeq: number; timer: NodeJS.Timeout } | undefined;
  private refused = false;
  private outageLogged = false;
  private idleWaiters: Waiter[] = [];
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(private readonly o: UplinkOptions) {
    this.backoff = new Backoff(o.backoff);
    this.log = o.log.child({ mod: 'uplink' });
  }

  /** True while a CONNACK-accepted connection is up. */
  get connected(): boolean {
    return this.online;
  }

  start(): void {
    this.stopped = false;
    this.connectOnce();
  }

  /** New records were queued: send them if the link is idle. */
  kick(): void {
    this.flush();
  }

  /** Resolves true once nothing is queued or in flight, false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.idle()) return true;
    return new Promise((resolve) => {
      const done: Waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.clearInflight();
    const client = this.client;
    this.client = undefined;
    this.online = false;
    if (!client) return;
    // A clean DISCONNECT when possible; never wait on a dead socket for long.
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => client.end(true, {}, () => resolve()), 1_000);
      client.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private connectOnce(): void {
    if (this.stopped) return;
    const { unitId } = this.o;
    const options: IClientOptions = {
      protocolVersion: 4, // MQTT 3.1.1
      clientId: unitId,
      username: unitId,
      password: this.o.secret,
      clean: false, // persistent session [MQTT-3.1.2-4]
      reconnectPeriod: 0, // reconnects are ours, with backoff
      connectTimeout: this.o.connectTimeoutMs ?? 10_000,
      keepalive: this.o.keepaliveS ?? 60,
      resubscribe: false,
      writeCache: false, // no 65 536 cached number buffers (mqtt-packet-memory.ts)
      ...(this.o.ca ? { ca: this.o.ca } : {}),
    };
    settleMqttPacketMemory(); // before the first packet is written: months of batches stay flat
    const client = connect(this.o.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.onError(err));
    client.on('close', () => this.onClose(client));
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return;
    this.online = true;
    this.backoff.reset();
    if (this.refused || this.outageLogged) this.log.info('connected to the registry again');
    else this.log.info('connected to the registry');
    this.refused = false;
    this.outageLogged = false;
    const topics = [deviceTopic(this.o.unitId, 'ownership'), deviceTopic(this.o.unitId, 'telemetry/ack')];
    client.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'subscribe failed');
    });
    this.publishHello(client);
    this.flush();
  }

  private publishHello(client: MqttClient): void {
    const held = this.o.ownership.current();
    const vin = this.o.vin?.() ?? undefined;
    const hello: Hello = HelloSchema.parse({
      unitId: this.o.unitId,
      agentVersion: this.o.agentVersion,
      epoch: held?.epoch ?? 0,
      issuedAt: held?.issuedAt ?? 0,
      ...(vin && HelloSchema.shape.vin.safeParse(vin).success ? { vin } : {}),
      queue: this.o.queue.health(),
    });
    client.publish(deviceTopic(this.o.unitId, 'hello'), JSON.stringify(hello), { qos: 1 });
  }

  private onError(err: Error & { code?: unknown }): void {
    // MQTT 3.1.1 §3.2.2.3: 4 = bad user name or password, 5 = not authorized.
    if (err.code === 4 || err.code === 5) {
      if (!this.refused) {
        this.log.error(
          { returnCode: err.code },
          'credentials revoked or wrong: the registry refused the login; keeping the queue and retrying with backoff',
        );
      }
      this.refused = true;
      return;
    }
    const tls = typeof err.code === 'string' && /CERT|SIGNATURE|TLS|SSL/.test(err.code);
    const what = tls ? "the registry's TLS certificate is not trusted (check AGENT_CA_FILE); retrying with backoff" : 'registry unreachable; retrying with backoff';
    if (!this.outageLogged && !this.refused) this.log.warn({ err: err.message, code: err.code }, what);
    else this.log.debug({ err: err.message }, 'connection attempt failed');
    this.outageLogged = true;
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    if (this.online) this.log.warn('connection to the registry lost');
    this.online = false;
    this.outageLogged = true;
    this.client = undefined;
    this.clearInflight();
    client.removeAllListeners('close');
    client.on('error', () => {});
    client.end(true);
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.log.debug({ delayMs: delay }, 'reconnecting');
    this.reconnectTimer = setTimeout(() => this.connectOnce(), delay);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    if (!parsed || parsed.unitId !== this.o.unitId || payload.length === 0) return;
    const json = parseJson(payload);
    try {
      if (parsed.kind === 'ownership') this.onOwnershipMessage(json);
      else if (parsed.kind === 'telemetry/ack') this.onTelemetryAck(json);
    } catch (err) {
      // A disk error while acknowledging: keep running; the message or the ack comes again.
      this.log.error({ err: (err as Error).message, kind: parsed.kind }, 'could not handle a message');
    }
  }

  private onOwnershipMessage(json: unknown): void {
    const ack = handleOwnershipMessage(json, this.o.ownership, this.log, this.o.onOwnership);
    if (ack) this.client?.publish(deviceTopic(this.o.unitId, 'ownership/ack'), JSON.stringify(ack), { qos: 1 });
  }

  private onTelemetryAck(json: unknown): void {
    const ack = TelemetryAckSchema.safeParse(json);
    if (!ack.success || ack.data.stream !== this.o.queue.stream) return;
    const { upTo, rejected } = ack.data;
    this.o.queue.ack(upTo, rejected);
    if (rejected.length > 0) this.log.warn({ count: rejected.length, first: rejected[0] }, 'registry refused records; moved aside');
    if (this.inflight && upTo >= this.inflight.lastSeq) {
      this.clearInflight();
      this.flush();
    }
  }

  private flush(): void {
    const client = this.client;
    if (!client || !this.online || this.inflight || this.stopped) return;
    const batch = this.o.queue.peekBatch(this.o.batchRecords ?? MAX_RECORDS_PER_BATCH, this.o.batchBytes ?? MAX_BATCH_BYTES);
    if (!batch) {
      this.notifyIdle();
      return;
    }
    const { stream, records, dropped, lastSeq } = batch;
    const payload = JSON.stringify(dropped.length > 0 ? { stream, records, dropped } : { stream, records });
    const timer = setTimeout(() => {
      this.log.warn({ lastSeq }, 'no telemetry ack in time; sending again');
      this.inflight = undefined;
      this.flush();
    }, this.o.ackTimeoutMs ?? 30_000);
    this.inflight = { lastSeq, timer };
    client.publish(deviceTopic(this.o.unitId, 'telemetry'), payload, { qos: 1 }, () => {
      // PUBACK or a closed connection; the registry's telemetry/ack decides what is deleted.
    });
  }

  private idle(): boolean {
    return !this.inflight && this.o.queue.health().depth === 0 && this.o.queue.droppedRanges().length === 0;
  }

  private notifyIdle(): void {
    if (!this.idle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  private clearInflight(): void {
    if (this.inflight) clearTimeout(this.inflight.timer);
    this.inflight = undefined;
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
