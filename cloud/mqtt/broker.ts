/**
 * The embedded aedes broker: TCP on MQTT_PORT, WebSocket at /mqtt on the HTTP server, TLS on
 * MQTTS_PORT when configured; every connection behind the framing guard. Connect, publish,
 * subscribe and forward hooks ask the one permission rule; device messages go to ingest and
 * the ownership handlers; registry events push ownership and end revoked sessions.
 */
import { Aedes, type Client } from 'aedes';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { accountTelemetryTopic, deviceTopic, topicRoot } from '../../protocol/topics.js';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import { pathIds } from '../domain/permissions.js';
import { TelemetryStore } from '../store/telemetry-store.js';
import { createAuthenticate, type ClientInfo } from './authenticate.js';
import { createAuthorizers } from './authorize.js';
import { DeviceMessages, type Publish } from './device-messages.js';
import { Ingest, type BatchOutcome } from './ingest.js';
import { liveJson } from './live-json.js';
import { attachWebSocket, listenTcp, listenTls, type ListenerHandle } from './listeners.js';
import { Sessions } from './sessions.js';

export interface BrokerDeps {
  app: App;
  config: Config;
  log: Logger;
  tls?: { cert: Buffer; key: Buffer };
  /** Bind address for MQTT listeners. Default config.HOST. */
  host?: string;
}

export interface BrokerHandle {
  aedes: Aedes;
  mqttPort: number;
  mqttsPort: number | null;
  close(): Promise<void>;
}

export async function startBroker(deps: BrokerDeps): Promise<BrokerHandle> {
  const { ctx, auth } = deps.app.services;
  const metrics = deps.app.metrics;
  const log = deps.log.child({ mod: 'mqtt' });
  const sessions = new Sessions();
  let aedes: Aedes;
  // Labelled children looked up once: they are counted for every message.
  const messagesIn = metrics.mqttMessages.labels({ direction: 'in' });
  const messagesOut = metrics.mqttMessages.labels({ direction: 'out' });
  const send = (topic: string, payload: Buffer, qos: 0 | 1, retain: boolean, done: () => void) => {
    messagesOut.inc();
    aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, done);
  };
  const publish: Publish = (topic, payload, opts) => new Promise((resolve) => send(topic, payload, opts.qos, opts.retain, resolve));
  const noop = () => undefined;
  const messages = new DeviceMessages({ links: ctx.links, accounts: ctx.accounts, publish, log, now: ctx.now });
  const ingest = new Ingest({ db: ctx.db, telemetry: new TelemetryStore(ctx.db), links: ctx.links, metrics, log, now: ctx.now });

  const deliver = (o: BatchOutcome | undefined, done: () => void) => {
    if (o) {
      send(deviceTopic(o.device.unitId, 'telemetry/ack'), Buffer.from(JSON.stringify(o.ack)), 1, false, noop);
      for (const [path, records] of o.byOwner) {
        // Live fan-out is QoS 0 (the contract allows 0 or 1): the durable copy is the stored record,
        // readable over REST, so a live view gains nothing from per-subscriber acknowledgements.
        send(accountTelemetryTopic(topicRoot(pathIds(path)), o.device.unitId), liveJson(o.device, records), 0, false, noop);
      }
    }
    done();
  };

  const onDevicePublish = (info: ClientInfo, kind: string, payload: Buffer, done: () => void) => {
    messagesIn.inc();
    const unitId = info.who.kind === 'device' ? info.who.unitId : '';
    if (kind === 'telemetry') return ingest.submit({ id: info.deviceId!, unitId }, payload, (o) => deliver(o, done));
    const dev = ctx.links.byUnitId(unitId);
    if (!dev) return done();
    if (kind === 'hello') void messages.onHello(dev, payload).finally(done);
    else {
      messages.onOwnershipAck(dev, payload);
      done();
    }
  };

  const authorizers = createAuthorizers({ onDevicePublish, onRefused: (what) => metrics.mqttRefused.inc({ what }) });
  aedes = await Aedes.createBroker({
    authenticate: createAuthenticate({
      auth,
      links: ctx.links,
      now: ctx.now,
      onRefused: (what) => metrics.mqttRefused.inc({ what }),
      onAccepted: (client, info) => sessions.add(client, info),
    }),
    ...authorizers,
  });
  aedes.on('client', (c: Client) => metrics.mqttConnected.inc({ kind: sessions.kindOf(c) }));
  aedes.on('clientDisconnect', (c: Client) => {
    metrics.mqttConnected.dec({ kind: sessions.kindOf(c) });
    sessions.remove(c);
  });

  ctx.bus.on('ownership-changed', (ids) => {
    // At once: no batch may be attributed with the old history. The push itself runs after the
    // request that moved them, in pages, so a 10 000-device move does not hold the event loop.
    ingest.invalidate(ids);
    setImmediate(() => void pushIds(ids));
  });
  ctx.bus.on('settings-changed', (path) => void pushBelow(path));
  ctx.bus.on('user-revoked', (userId) => sessions.closeUser(userId));
  ctx.bus.on('token-revoked', (tokenId) => sessions.closeToken(tokenId));
  ctx.bus.on('device-revoked', (unitId) => sessions.closeDevice(unitId));

  async function pushIds(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await messages.push(ctx.links.byIds(ids.slice(i, i + 500)));
      await new Promise((r) => setImmediate(r));
    }
  }

  async function pushBelow(path: string): Promise<void> {
    let after = '';
    for (;;) {
      const page = ctx.links.liveBelow(path, after, 1000);
      if (page.length === 0) return;
      await messages.push(page);
      after = page[page.length - 1]!.id;
    }
  }

  const republished = await messages.republishAll();
  log.info({ devices: republished }, 're-published retained ownership messages');

  const guard = { onReject: (reason: string) => metrics.mqttRefused.inc({ what: `frame-${reason}` }) };
  const host = deps.host ?? deps.config.HOST;
  const listeners: ListenerHandle[] = [];
  const tcp = await listenTcp(aedes, { host, port: deps.config.MQTT_PORT, guard });
  listeners.push(tcp);
  let mqttsPort: number | null = null;
  if (deps.tls) {
    const t = await listenTls(aedes, { host, port: deps.config.MQTTS_PORT, ...deps.tls, guard });
    listeners.push(t);
    mqttsPort = t.port;
  }
  listeners.push(attachWebSocket(aedes, deps.app.http.server as HttpServer, { guard }));
  const pruner = startPruner(deps);
  return {
    aedes,
    mqttPort: tcp.port,
    mqttsPort,
    async close() {
      clearInterval(pruner);
      await ingest.stop(); // every queued batch committed, synced and acknowledged
      await Promise.all(listeners.map((l) => l.close()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** Prunes telemetry older than TELEMETRY_RETENTION_DAYS in small batches, between ingest ticks. */
function startPruner(deps: BrokerDeps): NodeJS.Timeout {
  const { ctx } = deps.app.services;
  const store = new TelemetryStore(ctx.db);
  const keepMs = deps.config.TELEMETRY_RETENTION_DAYS * 86_400_000;
  const sweep = () => {
    const cutoff = ctx.now() - keepMs;
    let removed = 0;
    const step = () => {
      const n = store.pruneBefore(cutoff, 500);
      removed += n;
      if (n === 500 && removed < 200_000) setImmediate(step);
      else if (removed > 0) deps.log.info({ mod: 'retention', removed }, 'pruned old telemetry');
    };
    step();
  };
  return setInterval(sweep, 60_000).unref();
}
