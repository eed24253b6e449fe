/**
 * A fake registry for agent tests: a real aedes broker on 127.0.0.1 (ephemeral port) with
 * in-process hooks that play the registry's part of the contract: devices log in with
 * client id = username = unit id and their secret (refused with return code 4 otherwise),
 * telemetry is stored idempotently by (stream, seq) in memory and acknowledged with `upTo`,
 * declared drops are refused with `dropped-on-device`, and ownership is published retained.
 * The listener can go down and come back on the same port (the broker keeps its sessions).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket } from 'aedes';
import {
  HelloSchema,
  OwnershipAckSchema,
  TelemetryBatchSchema,
  TelemetryRecordSchema,
  type Hello,
  type Ownership,
  type OwnershipAck,
  type TelemetryRecord,
} from '../../protocol/messages.js';
import { deviceTopic, parseDeviceTopic } from '../../protocol/topics.js';

interface StreamState {
  stored: Map<number, TelemetryRecord>;
  /** Seqs in the order they were first stored. */
  order: number[];
  refused: Set<number>;
  upTo: number;
}

export class FakeRegistry {
  readonly devices = new Map<string, string>();
  readonly streams = new Map<string, StreamState>();
  readonly hellos: Hello[] = [];
  readonly ownershipAcks: Array<OwnershipAck & { unitId: string }> = [];
  /** Resent seqs whose content differs from the stored record (a seq reused: a lost reading). */
  conflicts = 0;
  /** Batches received, duplicates included. */
  batchesReceived = 0;
  /** Called on each ownership/ack, before it is recorded (tests inspect the agent's disk here). */
  onOwnershipAck: ((unitId: string, ack: OwnershipAck) => void) | undefined;
  /** When false, telemetry is stored but not acknowledged (an ack lost on the way). */
  acking = true;
  /** Topic filters clients have subscribed to (SUBSCRIBE processed by the broker). */
  readonly subscribed = new Set<string>();
  /** TLS handshakes that failed (e.g. the client does not trust the certificate). */
  tlsFailures = 0;
  /** CONNECT packets that reached authentication. */
  loginAttempts = 0;
  port = 0;
  private broker!: Aedes;
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private tls: { key: Buffer; cert: Buffer } | undefined;

  /** Listens on `port` (0: ephemeral); with `tls` it speaks MQTT over TLS (mqtts). */
  async start(port = 0, tls?: { key: Buffer; cert: Buffer }): Promise<this> {
    this.tls = tls;
    this.broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        this.loginAttempts += 1;
        const secret = username === undefined ? undefined : this.devices.get(username);
        const ok = secret !== undefined && client.id === username && password?.toString() === secret;
        if (ok) return done(null, true);
        done(Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), false);
      },
    });
    this.broker.on('subscribe', (subs) => subs.forEach((sub) => this.subscribed.add(sub.topic)));
    this.broker.subscribe('v1/devices/+/+', (packet, cb) => this.onDevicePublish(packet, cb), () => {});
    this.broker.subscribe('v1/devices/+/+/+', (packet, cb) => this.onDevicePublish(packet, cb), () => {});
    await this.listen(port);
    return this;
  }

  private async listen(port: number): Promise<void> {
    const onSocket = (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.broker.handle(socket);
    };
    // TCP_NODELAY as the registry's own listeners set it (cloud/mqtt/listeners.ts).
    const server = this.tls ? createTlsServer({ ...this.tls, noDelay: true }, onSocket) : createServer({ noDelay: true }, onSocket);
    server.on('tlsClientError', () => (this.tlsFailures += 1));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  /** The broker becomes unreachable: the listener closes and every connection is cut. */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** The broker is reachable again on the same port. */
  async comeBack(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Revokes a device: its login is refused and its live connection closed. */
  revoke(unitId: string): void {
    this.devices.delete(unitId);
    const client = (this.broker as unknown as { clients: Record<string, { close(): void }> }).clients[unitId];
    client?.close();
  }

  async publishOwnership(unitId: string, ownership: Ownership, retain = true): Promise<void> {
    await this.publish(deviceTopic(unitId, 'ownership'), JSON.stringify(ownership), retain);
  }

  /** Records of a stream in the order they were first stored. */
  records(stream: string): TelemetryRecord[] {
    const s = this.streams.get(stream);
    return s ? s.order.map((seq) => s.stored.get(seq)!) : [];
  }

  async close(): Promise<void> {
    await this.goDown();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }

  private publish(topic: string, payload: string, retain = false): Promise<void> {
    return new Promise((resolve, reject) =>
      this.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  private onDevicePublish(packet: AedesPublishPacket, cb: () => void): void {
    const parsed = parseDeviceTopic(packet.topic);
    let json: unknown;
    try {
      json = JSON.parse(packet.payload.toString());
    } catch {
      json = undefined;
    }
    if (parsed?.kind === 'telemetry') this.onTelemetry(parsed.unitId, json);
    else if (parsed?.kind === 'hello') this.hellos.push(HelloSchema.parse(json));
    else if (parsed?.kind === 'ownership/ack') {
      const ack = OwnershipAckSchema.parse(json);
      this.onOwnershipAck?.(parsed.unitId, ack);
      this.ownershipAcks.push({ ...ack, unitId: parsed.unitId });
    }
    cb();
  }

  private onTelemetry(unitId: string, json: unknown): void {
    const batch = TelemetryBatchSchema.parse(json);
    this.batchesReceived += 1;
    let s = this.streams.get(batch.stream);
    if (!s) this.streams.set(batch.stream, (s = { stored: new Map(), order: [], refused: new Set(), upTo: 0 }));
    const rejected: Array<{ seq: number; reason: string }> = [];
    for (const range of batch.dropped ?? []) {
      for (let seq = range.from; seq <= range.to; seq++) {
        if (s.stored.has(seq)) continue;
        s.refused.add(seq);
        rejected.push({ seq, reason: 'dropped-on-device' });
      }
    }
    for (const raw of batch.records) {
      const rec = TelemetryRecordSchema.parse(raw);
      const known = s.stored.get(rec.seq);
      if (known && JSON.stringify(known) !== JSON.stringify(rec)) this.conflicts += 1;
      if (known || s.refused.has(rec.seq)) continue; // idempotent by (stream, seq)
      s.stored.set(rec.seq, rec);
      s.order.push(rec.seq);
    }
    while (s.stored.has(s.upTo + 1) || s.refused.has(s.upTo + 1)) s.upTo += 1;
    if (!this.acking) return;
    void this.publish(deviceTopic(unitId, 'telemetry/ack'), JSON.stringify({ stream: batch.stream, upTo: s.upTo, rejected }));
  }
}
