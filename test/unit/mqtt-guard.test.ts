import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { listenTcp } from '../../cloud/mqtt/listeners.js';
import { closedWithin, rawConnect, readAll, roundTrip, startBroker, stream, type TestBroker } from './mqtt-guard-helpers.js';

const MiB = 1024 * 1024;
/** Largest Remaining Length MQTT 3.1.1 can declare (2.2.3): 0xff 0xff 0xff 0x7f. */
const HUGE_LENGTH = [0xff, 0xff, 0xff, 0x7f];
/** Remaining Length encoding (2.2.3). */
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
};
const connectPacket = (clientId: string): Buffer =>
  mqttPacket.generate({ cmd: 'connect', clientId, protocolVersion: 4, clean: true, keepalive: 30 });

let broker: TestBroker;
let url: string;
beforeEach(async () => {
  broker = await startBroker({ maxPacketBytes: 300 * 1024 });
  url = `mqtt://127.0.0.1:${broker.tcp.port}`;
});
afterEach(async () => broker.close());

describe('framing guard in front of a real aedes: hostile first packets', () => {
  it('closes at once every first packet that is not CONNECT, with a huge declared length, without buffering it', async () => {
    await roundTrip(url, 'warm-up'); // load code paths before measuring memory
    const rssBefore = process.memoryUsage().rss;
    const types = [0, ...Array.from({ length: 14 }, (_, i) => i + 2)]; // reserved 0, then 2..15
    const results = await Promise.all(
      types.map(async (type) => {
        const socket = await rawConnect(broker.tcp.port);
        socket.write(Buffer.from([type << 4, ...HUGE_LENGTH]));
        const closed = closedWithin(socket, 1000);
        await stream(socket, 4 * MiB); // 60 MiB in all, if anyone kept it
        return closed;
      }),
    );
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(results).toHaveLength(15);
    expect(broker.rejects).toEqual(types.map(() => 'first-not-connect'));
    expect(rssGrowth).toBeLessThan(10 * MiB);
    expect(await roundTrip(url, 'after-hostile')).toBeLessThan(100);
  });

  it('closes a CONNECT declaring more than the maximum before its body is sent', async () => {
    const socket = await rawConnect(broker.tcp.port);
    socket.write(Buffer.from([0x10, ...varint(300 * 1024 + 1)])); // the header only, no body
    await closedWithin(socket, 1000);
    expect(broker.rejects).toEqual(['packet-too-large']);
  });

  it('closes a connection whose varint has a fifth byte', async () => {
    const socket = await rawConnect(broker.tcp.port);
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
    await closedWithin(socket, 1000);
    expect(broker.rejects).toEqual(['malformed-length']);
  });

  it('closes a second CONNECT on one connection [MQTT-3.1.0-2]', async () => {
    const socket = await rawConnect(broker.tcp.port);
    const received = readAll(socket, 2000);
    socket.write(connectPacket('twice-1'));
    socket.write(connectPacket('twice-1'));
    const bytes = await received;
    expect(broker.rejects).toEqual(['second-connect']);
    expect(bytes.length).toBeLessThanOrEqual(4); // at most the first CONNACK
  });

  it('answers an empty client id without clean session with CONNACK 2 and closes [MQTT-3.1.3-8]', async () => {
    const socket = await rawConnect(broker.tcp.port);
    const received = readAll(socket, 3000);
    // mqtt-packet refuses to generate this CONNECT, so flip the clean flag of a generated one
    const packet = connectPacket('');
    packet[9] = packet[9]! & ~0x02; // connect flags: 2 header + 6 name + 1 level
    socket.write(packet);
    expect([...(await received)]).toEqual([0x20, 0x02, 0x00, 0x02]);
    expect(broker.rejects).toEqual(['empty-client-id']);
    expect(broker.clientIds()).toEqual([]);
  });

  it('still accepts an empty client id with a clean session (aedes assigns one)', async () => {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: '', clean: true, reconnectPeriod: 0 });
    expect(client.connected).toBe(true);
    await client.endAsync(true);
    expect(broker.rejects).toEqual([]);
  });
});

describe('framing guard: timeouts, garbage and oversize payloads', () => {
  it('closes connections that send no complete CONNECT within the timeout, and only those', async () => {
    await broker.close();
    broker = await startBroker({ connectTimeoutMs: 200 });
    const good = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.tcp.port}`, { protocolVersion: 4, clientId: 'good', reconnectPeriod: 0 });
    let goodClosed = false;
    good.on('close', () => (goodClosed = true));
    const silent = await rawConnect(broker.tcp.port);
    const slow = await rawConnect(broker.tcp.port);
    slow.write(connectPacket('slowloris').subarray(0, 8)); // half a CONNECT, then nothing
    await Promise.all([closedWithin(silent, 3000), closedWithin(slow, 3000)]);
    // `good` connected before both, so its guard timer would have fired first
    expect(goodClosed).toBe(false);
    expect(broker.rejects).toEqual(['connect-timeout', 'connect-timeout']);
    await good.endAsync(true);
  });

  it('survives garbage bytes and keeps serving', async () => {
    let seed = 0x9e3779b9;
    const random = (): number => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) & 0xff);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawConnect(broker.tcp.port)));
    await Promise.all(
      sockets.map(async (socket) => {
        const closed = closedWithin(socket, 3000);
        socket.end(Buffer.from(Array.from({ length: 64 * 1024 }, random)));
        await closed;
      }),
    );
    expect(broker.rejects).toHaveLength(20);
    expect(await roundTrip(url, 'after-garbage')).toBeLessThan(100);
  });

  it('refuses a 10 MB PUBLISH without harming another connected client', async () => {
    const bystander = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'bystander', reconnectPeriod: 0 });
    let bystanderClosed = false;
    bystander.on('close', () => (bystanderClosed = true));
    await bystander.subscribeAsync('big/#', { qos: 1 });
    const received: number[] = [];
    bystander.on('message', (_topic, payload) => received.push(payload.length));

    const attacker = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'attacker', reconnectPeriod: 0 });
    const attackerClosed = new Promise<void>((resolve) => attacker.once('close', () => resolve()));
    attacker.publish('big/x', Buffer.alloc(10 * 1000 * 1000, 1), { qos: 1 }, () => {});
    await attackerClosed;
    expect(broker.rejects).toEqual(['packet-too-large']);

    const started = performance.now();
    const echoed = new Promise<void>((resolve) => bystander.once('message', () => resolve()));
    await bystander.publishAsync('big/ok', 'small', { qos: 1 });
    await echoed;
    expect(performance.now() - started).toBeLessThan(100);
    expect(received).toEqual([5]); // the 10 MB payload was never forwarded
    expect(bystanderClosed).toBe(false);
    await attacker.endAsync(true);
    await bystander.endAsync(true);
  });
});

describe('listener handles', () => {
  it('close() ends every live connection, connected or not, and stops accepting', async () => {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'closing', reconnectPeriod: 0 });
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const silent = await rawConnect(broker.tcp.port);
    const silentClosed = closedWithin(silent, 1000);
    await broker.tcp.close();
    await Promise.all([clientClosed, silentClosed]);
    await expect(rawConnect(broker.tcp.port)).rejects.toThrow(/ECONNREFUSED/);
    await client.endAsync(true);
  });

  it('refuses connections beyond maxConnections at accept', async () => {
    const capped = await listenTcp(broker.aedes, { host: '127.0.0.1', port: 0, maxConnections: 2 });
    try {
      const first = [await rawConnect(capped.port), await rawConnect(capped.port)];
      const third = await rawConnect(capped.port);
      await closedWithin(third, 1000);
      expect(first.every((s) => !s.destroyed)).toBe(true);
      first.forEach((s) => s.destroy());
    } finally {
      await capped.close();
    }
  });
});
