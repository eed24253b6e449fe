import net from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type { GuardOptions, RejectReason } from '../../cloud/mqtt/framing-guard.js';
import { listenTcp, type ListenerHandle } from '../../cloud/mqtt/listeners.js';

/** A real aedes 1.2 on an ephemeral loopback port behind the framing guard. */
export interface TestBroker {
  aedes: Aedes;
  tcp: ListenerHandle;
  rejects: RejectReason[];
  /** Client ids aedes holds a connection for (aedes keeps them in `clients`, left out of its types). */
  clientIds(): string[];
  close(): Promise<void>;
}

export async function startBroker(guard: Omit<GuardOptions, 'onReject'> = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const rejects: RejectReason[] = [];
  const tcp = await listenTcp(aedes, { host: '127.0.0.1', port: 0, guard: { ...guard, onReject: (r) => rejects.push(r) } });
  return {
    aedes,
    tcp,
    rejects,
    clientIds: () => Object.keys((aedes as unknown as { clients: Record<string, unknown> }).clients),
    close: async () => {
      await tcp.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export async function rawConnect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // resets from a refusing broker are expected
  await once(socket, 'connect');
  return socket;
}

/**
 * Resolves with the milliseconds until `socket` closes; rejects after `limitMs`. Drains what the
 * broker sends (e.g. a CONNACK): a socket that never reads never sees the broker's FIN.
 */
export function closedWithin(socket: net.Socket, limitMs: number): Promise<number> {
  const started = performance.now();
  if (socket.destroyed) return Promise.resolve(0);
  socket.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

/** Writes `total` bytes of `fill` honouring backpressure, until done or the socket closes. */
export async function stream(socket: net.Socket, total: number, fill = 0x41): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  while (sent < total && !socket.destroyed && socket.writable) {
    sent += chunk.length;
    if (!socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    }
  }
  return sent;
}

/** Collects what the broker sends until the socket closes or `limitMs` pass. */
export function readAll(socket: net.Socket, limitMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * A normal mqtt 5 client (protocol 4) subscribes at QoS 1 and publishes to itself at QoS 1.
 * Returns the milliseconds from publish to delivery, PUBACK included.
 */
export async function roundTrip(url: string, clientId: string): Promise<number> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    const topic = `rt/${clientId}`;
    await client.subscribeAsync(topic, { qos: 1 });
    const started = performance.now();
    const delivered = new Promise<string>((resolve) => client.once('message', (_t, payload) => resolve(payload.toString())));
    await client.publishAsync(topic, 'ping', { qos: 1 });
    if ((await delivered) !== 'ping') throw new Error('wrong payload');
    return performance.now() - started;
  } finally {
    await client.endAsync(true);
  }
}
