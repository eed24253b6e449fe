/**
 * The load side of bench-ingest, run in a worker thread so the broker under test keeps its own
 * event loop and core: N device clients each keep `window` QoS 1 batches in flight, and one
 * subscriber per tree level receives the fan-out. Answers the counts and latencies to the parent.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadSpec {
  url: string;
  /** registry: ack = telemetry/ack; relay: ack = PUBACK. */
  mode: 'registry' | 'relay';
  devices: { unitId: string; secret: string; epoch: number }[];
  subscribers: { clientId: string; username?: string; password?: string; filter: string }[];
  perMsg: number;
  seconds: number;
  window: number;
  /**
   * Which clients leave Nagle's algorithm on, as mqtt.js does by default; the others set
   * TCP_NODELAY. Default 'none'. A device that keeps several batches in flight answers each QoS 1
   * `telemetry/ack` with a PUBACK and then publishes its next batch: with Nagle that publish waits
   * until the PUBACK is ACKed, and the broker, having nothing to send back for a PUBACK, delays that
   * ACK (40 ms on Linux), so the registry's run measures the delayed-ACK timer. The relay's devices
   * never send a PUBACK, so they are not held; its subscribers (QoS 1) send fewer, coalesced PUBACKs
   * with Nagle, which makes the relay cheaper.
   */
  nagle?: 'none' | 'all' | 'subscribers';
  /** QoS the subscribers ask for. Default 1: the relay then delivers at QoS 1; the registry's fan-out is QoS 0 either way. */
  subscriberQos?: 0 | 1;
}

export interface LoadResult {
  messages: number;
  records: number;
  seconds: number;
  latencies: number[];
  delivered: number;
}

let nagle: LoadSpec['nagle'] = 'none';

const connect = (url: string, o: mqtt.IClientOptions, subscriber = false) =>
  new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...o });
    c.once('connect', () => {
      if (nagle === 'none' || (nagle === 'subscribers' && !subscriber)) (c.stream as Socket).setNoDelay(true);
      resolve(c);
    });
    c.once('error', reject);
  });

const batch = (stream: string, from: number, n: number, epoch: number) =>
  JSON.stringify({ stream, records: Array.from({ length: n }, (_, i) => ({ seq: from + i, epoch, ts: Date.now(), kind: 'obd', data: { rpm: 1500 + i, speedKmh: 50 } })) });

async function sender(spec: LoadSpec, d: LoadSpec['devices'][number], i: number, clients: MqttClient[]) {
  const topicBase = spec.mode === 'registry' ? `v1/devices/${d.unitId}` : `bench/${i}`;
  const c = await connect(spec.url, spec.mode === 'registry' ? { clientId: d.unitId, username: d.unitId, password: d.secret } : { clientId: `dev-${i}` });
  clients.push(c);
  if (spec.mode === 'relay') return (from: number) => c.publishAsync(`${topicBase}/telemetry`, batch(`s-${i}`, from, spec.perMsg, 1), { qos: 1 }).then(() => undefined);
  const waiting = new Map<number, () => void>();
  c.on('message', (_t, p) => {
    const upTo = JSON.parse(p.toString()).upTo as number;
    for (const [last, resolve] of waiting) if (last <= upTo) (waiting.delete(last), resolve());
  });
  await c.subscribeAsync(`${topicBase}/telemetry/ack`, { qos: 1 });
  return (from: number) =>
    new Promise<void>((resolve) => {
      waiting.set(from + spec.perMsg - 1, resolve);
      c.publish(`${topicBase}/telemetry`, batch(`bench-${d.unitId}`, from, spec.perMsg, d.epoch), { qos: 1 });
    });
}

/**
 * What is wrong with a sampled delivery, if anything: both sides deliver batches whose records carry
 * a `data` object (the relay forwards the device's own batch), so a stale build or a fan-out bug
 * that sends something cheaper than the real payload stops the benchmark instead of flattering it.
 */
function checkDelivery(payload: Buffer): string | undefined {
  try {
    const records = (JSON.parse(payload.toString('utf8')) as { records?: { data?: unknown }[] }).records;
    const data = records?.[0]?.data;
    return typeof data === 'object' && data !== null ? undefined : 'no records[0].data object';
  } catch {
    return 'not JSON';
  }
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  nagle = spec.nagle ?? 'none';
  const clients: MqttClient[] = [];
  let delivered = 0;
  let malformed: string | undefined;
  for (const s of spec.subscribers) {
    const c = await connect(spec.url, { clientId: s.clientId, ...(s.username ? { username: s.username, password: s.password } : {}) }, true);
    await c.subscribeAsync(s.filter, { qos: spec.subscriberQos ?? 1 });
    c.on('message', (_t, p) => {
      if (delivered++ % 1000 === 0) malformed ??= checkDelivery(p);
    });
    clients.push(c);
  }
  const senders = await Promise.all(spec.devices.map((d, i) => sender(spec, d, i, clients)));
  const latencies: number[] = [];
  let messages = 0;
  const start = Date.now();
  const end = start + spec.seconds * 1000;
  await Promise.all(
    senders.map(async (send) => {
      let next = 1;
      const lane = async () => {
        while (Date.now() < end) {
          const from = next;
          next += spec.perMsg;
          const t0 = performance.now();
          await send(from);
          latencies.push(performance.now() - t0);
          messages++;
        }
      };
      await Promise.all(Array.from({ length: spec.window }, lane));
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all(clients.map((c) => c.endAsync(true)));
  if (malformed) throw new Error(`a subscriber received a malformed delivery (${malformed}): the figures would not be of the real thing`);
  return { messages, records: messages * spec.perMsg, seconds, latencies, delivered };
}

if (parentPort) {
  run(workerData as LoadSpec).then(
    (r) => parentPort!.postMessage(r),
    (e: unknown) => parentPort!.postMessage({ error: String(e) }),
  );
}
