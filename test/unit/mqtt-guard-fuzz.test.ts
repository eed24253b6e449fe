import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { closedWithin, rawConnect, roundTrip, startBroker, type TestBroker } from './mqtt-guard-helpers.js';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CONNECTIONS = 500;
const PACKETS_PER_CONNECTION = 20; // 10 000 packets in all
const PARALLEL = 25;

const base = (id: number): Buffer[] => [
  mqttPacket.generate({ cmd: 'publish', topic: `fuzz/${id}/t`, payload: Buffer.from('{"a":1}'), qos: 1, messageId: 7, retain: false, dup: false }),
  mqttPacket.generate({ cmd: 'publish', topic: 'fuzz/q2', payload: Buffer.alloc(40, 3), qos: 2, messageId: 9, retain: true, dup: false }),
  mqttPacket.generate({ cmd: 'publish', topic: 'fuzz/q0', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }),
  mqttPacket.generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'fuzz/#', qos: 1 }, { topic: '$SYS/+', qos: 0 }] }),
  mqttPacket.generate({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['fuzz/#'] }),
  mqttPacket.generate({ cmd: 'pingreq' }),
  mqttPacket.generate({ cmd: 'puback', messageId: 5 }),
  mqttPacket.generate({ cmd: 'pubrel', messageId: 9 }),
];

function connectFor(id: number, rnd: () => number): Buffer {
  const login = rnd();
  return mqttPacket.generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `fuzz-${id}`, clean: rnd() < 0.7, keepalive: 30,
    username: login < 0.6 ? 'u' : undefined, password: login < 0.3 ? Buffer.from('p') : undefined,
    will: rnd() < 0.3 ? { topic: 'fuzz/will', payload: Buffer.from('bye'), qos: 1, retain: false } : undefined,
  });
}

/** Flips, overwrites, inserts, deletes, truncates or duplicates bytes, or corrupts the length. */
function mutate(packet: Buffer, rnd: () => number): Buffer {
  const bytes = [...packet];
  const at = (): number => Math.floor(rnd() * Math.max(bytes.length, 1));
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds; r++) {
    switch (Math.floor(rnd() * 7)) {
      case 0: { const i = at(); bytes[i] = (bytes[i] ?? 0) ^ (1 << Math.floor(rnd() * 8)); break; }
      case 1: bytes[at()] = Math.floor(rnd() * 256); break;
      case 2: bytes.splice(at(), 0, ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))); break;
      case 3: bytes.splice(at(), 1 + Math.floor(rnd() * 4)); break;
      case 4: bytes.length = at(); break;
      case 5: { const i = at(); bytes.splice(i, 0, ...bytes.slice(i, i + 6)); break; }
      default: if (bytes.length > 1) bytes[1] = rnd() < 0.5 ? 0xff : Math.floor(rnd() * 256);
    }
  }
  return Buffer.from(bytes);
}

/** One connection's bytes: a CONNECT (mutated half the time), then packets mutated at a random rate. */
function session(id: number, rnd: () => number): Buffer {
  const packets = [rnd() < 0.5 ? connectFor(id, rnd) : mutate(connectFor(id, rnd), rnd)];
  const pool = base(id);
  const rate = rnd() * 0.5; // some sessions go deep into aedes, others break early
  while (packets.length < PACKETS_PER_CONNECTION) {
    const packet = pool[Math.floor(rnd() * pool.length)]!;
    packets.push(rnd() < rate ? mutate(packet, rnd) : packet);
  }
  return Buffer.concat(packets);
}

async function play(port: number, bytes: Buffer, rnd: () => number): Promise<void> {
  const socket = await rawConnect(port);
  const closed = closedWithin(socket, 5000);
  let offset = 0;
  while (offset < bytes.length && !socket.destroyed) {
    const size = 1 + Math.floor(rnd() * 300); // cut anywhere, even inside a header
    socket.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  socket.end(); // a well-behaved end lets aedes close whatever is left
  await closed;
}

describe('framing guard + aedes under 10 000 mutated MQTT packets', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => broker.close());

  it(`never crashes and still serves a QoS 1 round trip in under 100 ms (seed ${SEED})`, async () => {
    let ready = 0;
    let parserErrors = 0;
    broker.aedes.on('clientReady', () => ready++);
    broker.aedes.on('clientError', () => parserErrors++);
    broker.aedes.on('connectionError', () => parserErrors++);
    const rnd = prng(SEED);
    const sessions = Array.from({ length: CONNECTIONS }, (_, id) => session(id, rnd));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sessions.length) {
        const id = next++;
        await play(broker.tcp.port, sessions[id]!, prng(SEED + id));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    // Every fuzz client is gone from aedes: nothing leaked.
    await vi.waitFor(() => expect(broker.clientIds()).toEqual([]), { timeout: 2000 });
    // The fuzz reached both the guard and, past CONNECT, aedes' own parser and handlers.
    // (typically about 375 guard refusals, 230 aedes parser errors, 50 completed handshakes)
    expect(broker.rejects.length).toBeGreaterThan(100);
    expect(parserErrors).toBeGreaterThan(50);
    expect(ready).toBeGreaterThan(10);
    expect(await roundTrip(`mqtt://127.0.0.1:${broker.tcp.port}`, 'after-fuzz')).toBeLessThan(100);
  }, 60_000);
});
