import net from 'node:net';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { guardStream, type GuardedStream } from '../../cloud/mqtt/framing-guard.js';

/** A connected loopback pair: `peer` is the client, `raw` the server side the guard wraps. */
let server: net.Server;
let peer: net.Socket;
let raw: net.Socket;
let guarded: GuardedStream;
let baseline: number[];
const CONNECT = mqttPacket.generate({ cmd: 'connect', clientId: 'pair', protocolVersion: 4, clean: true, keepalive: 30 });
const EVENTS = ['data', 'end', 'error', 'close', 'drain'] as const;

beforeEach(async () => {
  server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  peer.on('error', () => {});
  [raw] = (await accepted) as [net.Socket];
  baseline = listenerCounts();
  guarded = guardStream(raw, { connectTimeoutMs: 5000 });
});

afterEach(async () => {
  peer.destroy();
  raw.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const listenerCounts = (): number[] => EVENTS.map((e) => raw.listenerCount(e));

describe('GuardedStream as a Duplex', () => {
  it('passes bytes both ways unchanged', async () => {
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    peer.write(Buffer.concat([CONNECT, publish]));
    const got: Buffer[] = [];
    guarded.on('data', (c: Buffer) => got.push(c));
    while (Buffer.concat(got).length < CONNECT.length + publish.length) await once(guarded, 'data');
    expect(Buffer.concat(got).equals(Buffer.concat([CONNECT, publish]))).toBe(true);

    const back = once(peer, 'data');
    guarded.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    expect([...((await back)[0] as Buffer)]).toEqual([0x20, 0x02, 0x00, 0x00]);
  });

  it('hands a corked packet to the socket as one write (aedes writes a PUBLISH in parts)', async () => {
    const writev = vi.spyOn(raw as unknown as { _writev: (...a: unknown[]) => void }, '_writev');
    const got = once(peer, 'data');
    mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.from('abc'), qos: 0, retain: false, dup: false }, guarded);
    expect([...((await got)[0] as Buffer)]).toEqual([0x30, 0x06, 0x00, 0x01, 0x74, 0x61, 0x62, 0x63]);
    expect(writev).toHaveBeenCalledTimes(1);
  });

  it('pauses the socket while nobody reads (backpressure), and resumes when read', async () => {
    peer.write(CONNECT);
    const junk = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(8000), qos: 0, retain: false, dup: false });
    for (let i = 0; i < 200; i++) peer.write(junk); // 1.6 MB
    while (!raw.isPaused()) await once(raw, 'data');
    const readBeforeResume = raw.bytesRead;
    expect(readBeforeResume).toBeLessThan(512 * 1024); // the rest waits in the kernel, not in us
    let received = 0;
    guarded.on('data', (c: Buffer) => (received += c.length));
    while (received < CONNECT.length + 200 * junk.length) await once(guarded, 'data');
    expect(received).toBe(CONNECT.length + 200 * junk.length);
  });

  it('destroying the guard closes the socket and removes every listener it added', async () => {
    const after = baseline.map((n, i) => (EVENTS[i] === 'error' ? n + 1 : n)); // one inert error listener stays
    const peerClosed = once(peer, 'close');
    guarded.destroy();
    await peerClosed;
    expect(raw.destroyed).toBe(true);
    expect(listenerCounts()).toEqual(after);
  });

  it('a socket closed by the peer closes the guard', async () => {
    const closed = once(guarded, 'close');
    peer.destroy();
    await closed;
    expect(guarded.destroyed).toBe(true);
  });

  it('an end from the peer ends the guard, and ending the guard ends the socket', async () => {
    guarded.resume();
    const ended = once(guarded, 'end');
    const peerEnded = once(peer, 'end');
    peer.end(CONNECT);
    await ended;
    await peerEnded; // allowHalfOpen is false: the guard ends its side too
  });
});
