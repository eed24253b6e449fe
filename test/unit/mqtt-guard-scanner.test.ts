import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { FrameScanner, type RejectReason } from '../../cloud/mqtt/framing-guard.js';

const MAX = 1024;
const connect = (over: Partial<mqttPacket.IConnectPacket> = {}): Buffer =>
  mqttPacket.generate({ cmd: 'connect', clientId: 'unit-1', protocolVersion: 4, clean: true, keepalive: 30, ...over });
/** mqtt-packet refuses to generate [MQTT-3.1.3-8] violations, so build that CONNECT by hand. */
const connectEmptyId = (protocolId = 'MQTT', level = 4): Buffer => {
  const name = Buffer.from(protocolId);
  const body = Buffer.concat([Buffer.from([0, name.length]), name, Buffer.from([level, 0x00, 0, 30, 0, 0])]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
};
const publish = (bytes: number): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes, 7), qos: 0, retain: false, dup: false });

/** Feeds `stream` cut at `cuts`; returns what was forwarded, the reject, and when CONNECT completed. */
function scan(stream: Buffer, cuts: number[]): { out: Buffer; reject: RejectReason | null; connectAt: number } {
  const scanner = new FrameScanner(MAX);
  const out: Buffer[] = [];
  let connectAt = -1;
  const edges = [0, ...cuts, stream.length];
  for (let k = 0; k + 1 < edges.length; k++) {
    const r = scanner.feed(stream.subarray(edges[k], edges[k + 1]));
    if (r.reject) return { out: Buffer.concat(out), reject: r.reject, connectAt };
    if (r.connectComplete) connectAt = edges[k + 1]!;
    if (r.forward) out.push(r.forward);
  }
  return { out: Buffer.concat(out), reject: null, connectAt };
}

/** Every way of cutting the stream once and twice, and byte by byte. */
function* splits(length: number): Generator<number[]> {
  yield [];
  yield Array.from({ length: length - 1 }, (_, i) => i + 1);
  for (let a = 1; a < length; a++) {
    yield [a];
    for (let b = a + 1; b < length; b += Math.max(3, Math.floor(length / 20))) yield [a, b];
  }
}

describe('FrameScanner (pure framing, MQTT 3.1.1 fixed header)', () => {
  it('passes a valid session through untouched however it is chunked', () => {
    const c = connect({ username: 'u', password: Buffer.from('p') });
    const stream = Buffer.concat([c, publish(200), mqttPacket.generate({ cmd: 'pingreq' }), publish(0)]);
    for (const cuts of splits(stream.length)) {
      const r = scan(stream, cuts);
      expect(r.reject).toBeNull();
      expect(r.out.equals(stream)).toBe(true);
      expect(r.connectAt).toBeGreaterThanOrEqual(c.length);
    }
  });

  // `first`: the offending packet is the first one, so not one byte of the stream reaches aedes.
  it.each<[string, Buffer, RejectReason, boolean]>([
    ['a first packet that is not CONNECT', Buffer.from([0x30, 0x02, 0, 1]), 'first-not-connect', true],
    ['a reserved type 0 first', Buffer.from([0x00, 0x00]), 'first-not-connect', true],
    ['a second CONNECT', Buffer.concat([connect(), connect()]), 'second-connect', false],
    ['a reserved type 15 after CONNECT', Buffer.concat([connect(), Buffer.from([0xf0, 0])]), 'reserved-type', false],
    ['a fifth length byte', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]), 'malformed-length', true],
    ['a CONNECT declaring more than the maximum', Buffer.from([0x10, 0x81, 0x08]), 'packet-too-large', true],
    ['a PUBLISH declaring more than the maximum', Buffer.concat([connect(), publish(MAX)]), 'packet-too-large', false],
    ['an empty client id without clean session', connectEmptyId(), 'empty-client-id', true],
    ['the same in MQTT 3.1', connectEmptyId('MQIsdp', 3), 'empty-client-id', true],
  ])('refuses %s, at any chunking', (_name, stream, reason, first) => {
    for (const cuts of splits(stream.length)) {
      const r = scan(stream, cuts);
      expect(r.reject).toBe(reason);
      if (first) expect(r.out.length).toBe(0);
    }
  });

  it('refuses a huge declared length on the length bytes alone, before any body', () => {
    const scanner = new FrameScanner(MAX);
    expect(scanner.feed(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])).reject).toBe('packet-too-large');
  });

  it('lets an empty client id with clean session through, and leaves MQTT 5 to aedes', () => {
    for (const stream of [connect({ clientId: '' }), connectEmptyId('MQTT', 5)]) {
      const r = scan(stream, []);
      expect(r.reject).toBeNull();
      expect(r.out.equals(stream)).toBe(true);
    }
  });

  it('holds back only the CONNECT header while it cannot judge it', () => {
    const c = connect();
    const scanner = new FrameScanner(MAX);
    expect(scanner.feed(c.subarray(0, 10)).forward).toBeNull();
    const r = scanner.feed(c.subarray(10));
    expect(r.forward?.equals(c)).toBe(true);
    expect(r.connectComplete).toBe(true);
  });
});
