/**
 * "Data follows ownership at the time it was recorded", end to end through the real broker:
 * a device owned by A records at t1, is moved to B while offline, records at t2 > T still carrying
 * A's epoch, then flushes. A sees t1 only, B sees t2 only, the root sees both, over REST and live.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { nextMessage, startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';
import { until } from '../helpers/wait.js';

const UNIT = 'a1b2c3d4e5f60001';
const STREAM = 'stream-attrib-1';

function collect(client: MqttClient): { unitId: string; records: { seq: number }[] }[] {
  const got: { unitId: string; records: { seq: number }[] }[] = [];
  client.on('message', (_t, payload) => got.push(JSON.parse(payload.toString())));
  return got;
}

describe('telemetry attribution across a move while offline', () => {
  let reg: MqttRegistry;
  let accountA: string;
  let accountB: string;
  let deviceId: string;
  let secret: string;
  const live: Record<string, ReturnType<typeof collect>> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    reg = await startMqttRegistry();
    accountA = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A')).id;
    accountB = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'B')).id;
    const ua = await reg.createUser(reg.rootToken, accountA, { deviceAccess: 'read', accountAdmin: false });
    const ub = await reg.createUser(reg.rootToken, accountB, { deviceAccess: 'read', accountAdmin: false });
    tokens.A = ua.token;
    tokens.B = ub.token;
    tokens.root = reg.rootToken;
    for (const [name, who] of [['A', ua.user.email], ['B', ub.user.email], ['root', 'root@test.local']] as const) {
      const me = await reg.req('GET', '/v1/me', { token: tokens[name] });
      const c = await reg.user(who, tokens[name]!);
      await c.subscribeAsync(`${me.body.topicRoot}/#`, { qos: 1 });
      live[name] = collect(c);
    }
    ({ id: deviceId, secret } = await reg.register(UNIT, accountA));
  });
  afterAll(async () => reg?.close());

  it('splits the history between the old and the new owner', async () => {
    const dev = await reg.device(UNIT, secret);
    const own = nextMessage(dev, deviceTopic(UNIT, 'ownership'));
    await dev.subscribeAsync([deviceTopic(UNIT, 'ownership'), deviceTopic(UNIT, 'telemetry/ack')], { qos: 1 });
    const ownership = await own;
    expect(ownership.accountId).toBe(accountA);
    const epochA = ownership.epoch as number;

    const send = async (seq: number, ts: number) => {
      const ack = nextMessage(dev, deviceTopic(UNIT, 'telemetry/ack'));
      await dev.publishAsync(deviceTopic(UNIT, 'telemetry'), JSON.stringify({ stream: STREAM, records: [{ seq, epoch: epochA, ts, kind: 'obd', data: { rpm: 800 + seq } }] }), { qos: 1 });
      return ack;
    };
    const t1 = Date.now() - 1000;
    expect(await send(1, t1)).toEqual({ stream: STREAM, upTo: 1, rejected: [] });

    // Offline: the device misses the move and keeps recording with A's epoch.
    await dev.endAsync();
    await reg.assign(accountB, [deviceId]);
    await new Promise((r) => setTimeout(r, 5));
    const t2 = Date.now();
    const back = await reg.device(UNIT, secret, { clean: false });
    const ack = nextMessage(back, deviceTopic(UNIT, 'telemetry/ack'));
    await back.publishAsync(deviceTopic(UNIT, 'telemetry'), JSON.stringify({ stream: STREAM, records: [{ seq: 2, epoch: epochA, ts: t2, kind: 'obd', data: { rpm: 900 } }] }), { qos: 1 });
    expect(await ack).toEqual({ stream: STREAM, upTo: 2, rejected: [] });

    const seqs = async (who: string) => {
      const a = await reg.req('GET', `/v1/devices/${deviceId}/telemetry`, { token: tokens[who] });
      return a.status === 200 ? a.body.items.map((r: { seq: number }) => r.seq) : a.status;
    };
    expect(await seqs('A')).toEqual([1]);
    expect(await seqs('B')).toEqual([2]);
    expect(await seqs('root')).toEqual([1, 2]);

    await until(() => live.root!.length >= 2, 3000, 'live records for the root');
    const liveSeqs = (who: string) => live[who]!.flatMap((m) => m.records.map((r) => r.seq));
    expect(liveSeqs('A')).toEqual([1]);
    expect(liveSeqs('B')).toEqual([2]);
    expect(liveSeqs('root')).toEqual([1, 2]);
  });

  it('stores a resent batch once and lists invalid records in the ack', async () => {
    const dev = await reg.device(UNIT, secret);
    await dev.subscribeAsync(deviceTopic(UNIT, 'telemetry/ack'), { qos: 1 });
    const own = await reg.req('GET', `/v1/devices/${deviceId}`, { token: reg.rootToken });
    const epoch = own.body.epoch as number;
    const now = Date.now();
    const batch = JSON.stringify({
      stream: 'stream-attrib-2',
      records: [
        { seq: 1, epoch, ts: now, kind: 'obd', data: { rpm: 1 } },
        { seq: 2, epoch, ts: now, kind: 'obd', data: 'not an object' },
        { seq: 3, epoch: epoch + 5, ts: now, kind: 'obd', data: {} },
        { seq: 4, epoch, ts: now + 3_600_000, kind: 'obd', data: {} },
      ],
      dropped: [{ from: 5, to: 6 }],
    });
    for (let i = 0; i < 2; i++) {
      const ack = nextMessage(dev, deviceTopic(UNIT, 'telemetry/ack'));
      await dev.publishAsync(deviceTopic(UNIT, 'telemetry'), batch, { qos: 1 });
      expect(await ack).toEqual({
        stream: 'stream-attrib-2',
        upTo: 6,
        rejected: [
          { seq: 2, reason: 'schema' },
          { seq: 3, reason: 'epoch-ahead' },
          { seq: 4, reason: 'future' },
          { seq: 5, reason: 'dropped-on-device' },
          { seq: 6, reason: 'dropped-on-device' },
        ],
      });
    }
    const rows = reg.db.prepare("SELECT seq FROM telemetry WHERE stream = 'stream-attrib-2'").pluck().all();
    expect(rows).toEqual([1]);
  });
});
