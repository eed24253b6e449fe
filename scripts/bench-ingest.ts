/**
 * bench-ingest: N simulated devices publish QoS 1 telemetry through the registry (validate,
 * attribute, group commit with synchronous=FULL, telemetry/ack, fan-out to one subscriber per tree
 * level) and, in the same run, the same load through a bare aedes relay with no hooks delivering to
 * the same number of subscribers. Reports messages/s, records/s, the ratio and p50/p99
 * publish-to-ack latency (registry: telemetry/ack; relay: PUBACK).
 *
 *   npm run build && node dist/scripts/bench-ingest.js [devices=20] [seconds=5] [window=16]
 */
import { Aedes } from 'aedes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { buildApp } from '../cloud/app.js';
import { loadConfig } from '../cloud/config.js';
import { startBroker } from '../cloud/mqtt/broker.js';
import { listenTcp } from '../cloud/mqtt/listeners.js';
import { ensureRoot } from '../cloud/services/bootstrap.js';
import { openDb } from '../cloud/store/db.js';
import { deviceTopic } from '../protocol/topics.js';

const [devices = 20, seconds = 5, windowSize = 16] = process.argv.slice(2).map(Number);

interface Result { messages: number; records: number; seconds: number; latencies: number[] }

const connect = (url: string, o: mqtt.IClientOptions) =>
  new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...o });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** Drives `senders` for `seconds`, each keeping `windowSize` batches in flight. */
async function drive(senders: ((seq: number) => Promise<void>)[], perMsg: number): Promise<Result> {
  const latencies: number[] = [];
  let messages = 0;
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  await Promise.all(
    senders.map(async (send) => {
      let seq = 0;
      const lane = async () => {
        while (Date.now() < end) {
          const my = (seq += perMsg);
          const t0 = performance.now();
          await send(my - perMsg + 1);
          latencies.push(performance.now() - t0);
          messages++;
        }
      };
      await Promise.all(Array.from({ length: windowSize }, lane));
    }),
  );
  const secs = (Date.now() - start) / 1000;
  return { messages, records: messages * perMsg, seconds: secs, latencies };
}

const batch = (stream: string, from: number, n: number, epoch: number) =>
  JSON.stringify({ stream, records: Array.from({ length: n }, (_, i) => ({ seq: from + i, epoch, ts: Date.now(), kind: 'obd', data: { rpm: 1500 + i, speedKmh: 50 } })) });

async function registryRun(perMsg: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', MQTT_PORT: '0', HOST: '127.0.0.1' });
  const db = openDb(dir);
  const log = pino({ level: 'silent' });
  const app = await buildApp({ config, db, log });
  await ensureRoot(app.services.ctx, { email: 'bench@x.test', password: 'bench-password' });
  const broker = await startBroker({ app, config, log, host: '127.0.0.1' });
  const inject = async (method: 'POST' | 'GET', url: string, token: string, payload?: object) =>
    (await app.http.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })).json();
  const root = (await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'bench@x.test', password: 'bench-password' } })).json().token as string;
  const me = await inject('GET', '/v1/me', root);
  const l1 = await inject('POST', '/v1/accounts', root, { name: 'L1', parentId: me.account.id });
  const l2 = await inject('POST', '/v1/accounts', root, { name: 'L2', parentId: l1.id });
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  const subs: MqttClient[] = [];
  let delivered = 0;
  for (const [i, path] of [[me.account.id], [me.account.id, l1.id], [me.account.id, l1.id, l2.id]].entries()) {
    const s = await connect(url, { clientId: `u-bench-${i}`, username: 'token', password: root });
    await s.subscribeAsync(`v1/accounts/${path.join('/')}/#`, { qos: 1 });
    s.on('message', () => delivered++);
    subs.push(s);
  }
  const clients: MqttClient[] = [];
  const senders = [];
  for (let i = 0; i < devices; i++) {
    const unitId = `b0${String(i).padStart(14, '0')}`;
    const reg = await inject('POST', '/v1/devices', root, { unitId, accountId: l2.id });
    const epoch = (await inject('GET', `/v1/devices/${reg.id}`, root)).epoch as number;
    const c = await connect(url, { clientId: unitId, username: unitId, password: reg.secret, clean: true });
    clients.push(c);
    const waiting = new Map<number, () => void>();
    let upTo = 0;
    c.on('message', (_t, p) => {
      upTo = Math.max(upTo, JSON.parse(p.toString()).upTo);
      for (const [last, resolve] of waiting) if (last <= upTo) { waiting.delete(last); resolve(); }
    });
    await c.subscribeAsync(deviceTopic(unitId, 'telemetry/ack'), { qos: 1 });
    const stream = `bench-${unitId}`;
    senders.push((from: number) => new Promise<void>((resolve) => {
      waiting.set(from + perMsg - 1, resolve);
      c.publish(deviceTopic(unitId, 'telemetry'), batch(stream, from, perMsg, epoch), { qos: 1 });
    }));
  }
  const r = await drive(senders, perMsg);
  await new Promise((res) => setTimeout(res, 200));
  process.stderr.write(`  registry: fan-out deliveries ${delivered}\n`);
  await Promise.all([...clients, ...subs].map((c) => c.endAsync(true)));
  await broker.close();
  await app.http.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return r;
}

async function relayRun(perMsg: number): Promise<Result> {
  const aedes = await Aedes.createBroker();
  const tcp = await listenTcp(aedes, { host: '127.0.0.1', port: 0 });
  const url = `mqtt://127.0.0.1:${tcp.port}`;
  const subs: MqttClient[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await connect(url, { clientId: `sub-${i}` });
    await s.subscribeAsync('bench/#', { qos: 1 });
    subs.push(s);
  }
  const clients: MqttClient[] = [];
  const senders = [];
  for (let i = 0; i < devices; i++) {
    const c = await connect(url, { clientId: `dev-${i}` });
    clients.push(c);
    senders.push(async (from: number) => void (await c.publishAsync(`bench/${i}/telemetry`, batch(`s-${i}`, from, perMsg, 1), { qos: 1 })));
  }
  const r = await drive(senders, perMsg);
  await Promise.all([...clients, ...subs].map((c) => c.endAsync(true)));
  await tcp.close();
  await new Promise<void>((res) => aedes.close(() => res()));
  return r;
}

function row(name: string, r: Result) {
  return `| ${name} | ${Math.round(r.messages / r.seconds)} | ${Math.round(r.records / r.seconds)} | ${pct(r.latencies, 50).toFixed(1)} | ${pct(r.latencies, 99).toFixed(1)} |`;
}

async function main() {
  console.log(`bench-ingest: ${devices} devices, ${windowSize} batches in flight each, ${seconds} s per run, node ${process.version}`);
  console.log('| run | messages/s | records/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |');
  for (const perMsg of [1, 50]) {
    const relay = await relayRun(perMsg);
    const registry = await registryRun(perMsg);
    console.log(row(`bare aedes relay, ${perMsg} rec/msg`, relay));
    console.log(row(`registry, ${perMsg} rec/msg`, registry));
    console.log(`| ratio registry/relay (${perMsg} rec/msg) | ${(registry.messages / registry.seconds / (relay.messages / relay.seconds)).toFixed(2)} | | | |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
