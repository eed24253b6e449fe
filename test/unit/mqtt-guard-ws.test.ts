import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import { WebSocket } from 'ws';
import type { RejectReason } from '../../cloud/mqtt/framing-guard.js';
import { attachWebSocket, type ListenerHandle } from '../../cloud/mqtt/listeners.js';
import { roundTrip } from './mqtt-guard-helpers.js';

let aedes: Aedes;
let server: http.Server;
let ws: ListenerHandle;
let base: string;
const rejects: RejectReason[] = [];

beforeEach(async () => {
  rejects.length = 0;
  aedes = await Aedes.createBroker();
  server = http.createServer((_req, res) => res.writeHead(404).end());
  ws = attachWebSocket(aedes, server, { guard: { onReject: (r) => rejects.push(r), maxPacketBytes: 64 * 1024 } });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await ws.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
});

/** Opens a raw WebSocket; resolves with the HTTP status of a refused upgrade, or the open socket. */
function open(url: string, protocols: string[] = ['mqtt']): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

describe('MQTT over WebSocket at /mqtt, behind the framing guard', () => {
  it('serves a QoS 1 round trip to an mqtt 5 client (protocol 4)', async () => {
    expect(await roundTrip(`${base}/mqtt`, 'ws-client')).toBeLessThan(100);
  });

  it('refuses upgrades on any other path with 404', async () => {
    expect(await open(`${base}/other`)).toBe(404);
    expect(await open(`${base}/mqtt/x`)).toBe(404);
  });

  it('speaks only the MQTT subprotocols', async () => {
    await expect(open(`${base}/mqtt`, ['chat'])).rejects.toThrow(/subprotocol/);
    const legacy = (await open(`${base}/mqtt`, ['mqttv3.1'])) as WebSocket;
    expect(legacy.protocol).toBe('mqttv3.1');
    legacy.terminate();
  });

  it('exposes the peer address to hooks as client.conn.remoteAddress', async () => {
    const seen = new Promise<unknown>((resolve) => aedes.once('client', (c) => resolve((c.conn as { remoteAddress?: string }).remoteAddress)));
    await roundTrip(`${base}/mqtt`, 'ws-address');
    expect(await seen).toBe('127.0.0.1');
  });

  it('closes a WebSocket whose first packet is not CONNECT, and one sending an oversize message', async () => {
    const first = (await open(`${base}/mqtt`)) as WebSocket;
    const firstClosed = once(first, 'close');
    first.send(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await firstClosed;

    const big = (await open(`${base}/mqtt`)) as WebSocket;
    big.on('error', () => {}); // the server answers 1009 "message too big"
    const [code] = (await Promise.all([once(big, 'close'), big.send(Buffer.alloc(1024 * 1024, 0x10))]))[0] as [number];
    expect(code).toBe(1009);
    expect(rejects).toEqual(['first-not-connect']);
  });
});
