/**
 * Telemetry stored under integer keys, with stream state cached in memory, through the real
 * broker: upTo stops at a gap and jumps over the records stored beyond it once the gap fills; a
 * unit id decommissioned and registered again is a new device whose records are kept apart.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

const UNIT = 'c0ffee00c0ffee01';

function send(dev: MqttClient, stream: string, seqs: number[], epoch = 1): Promise<{ stream: string; upTo: number; rejected: unknown[] }> {
  const ack = new Promise<any>((resolve) => {
    const on = (t: string, p: Buffer) => {
      if (t !== deviceTopic(UNIT, 'telemetry/ack')) return;
      dev.off('message', on);
      resolve(JSON.parse(p.toString()));
    };
    dev.on('message', on);
  });
  const records = seqs.map((seq) => ({ seq, epoch, ts: 1_000 + seq, kind: 'obd', data: { seq } }));
  void dev.publishAsync(deviceTopic(UNIT, 'telemetry'), JSON.stringify({ stream, records }), { qos: 1 });
  return ack;
}

async function online(reg: MqttRegistry, secret: string): Promise<MqttClient> {
  const dev = await reg.device(UNIT, secret);
  await dev.subscribeAsync(deviceTopic(UNIT, 'telemetry/ack'), { qos: 1 });
  return dev;
}

const seqsOf = async (reg: MqttRegistry, deviceId: string) =>
  (await reg.req('GET', `/v1/devices/${deviceId}/telemetry?limit=1000`, { token: reg.rootToken })).body.items.map((i: { seq: number }) => i.seq);

describe('telemetry keys and stream state', () => {
  let reg: MqttRegistry | undefined;
  afterEach(async () => reg?.close());

  it('holds upTo at a gap, counts what was stored beyond it once the gap fills, and survives a restart', async () => {
    reg = await startMqttRegistry();
    const d = await reg.register(UNIT);
    const dev = await online(reg, d.secret);
    expect((await send(dev, 'stream-gap-1', [1, 2])).upTo).toBe(2);
    expect((await send(dev, 'stream-gap-1', [4, 5])).upTo).toBe(2);
    expect((await send(dev, 'stream-gap-1', [7])).upTo).toBe(2);
    expect((await send(dev, 'stream-gap-1', [3])).upTo).toBe(5);
    // A resend of stored records answers the same and stores nothing twice.
    expect((await send(dev, 'stream-gap-1', [4, 5])).upTo).toBe(5);
    expect((await send(dev, 'stream-gap-1', [6])).upTo).toBe(7);
    expect(await seqsOf(reg, d.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await dev.endAsync(true);

    // A second broker on the same database (the registry after a restart) has no cached state.
    const { startBroker } = await import('../../cloud/mqtt/broker.js');
    const restarted = await startBroker({ app: reg.app, config: reg.services.ctx.config, log: reg.services.ctx.log, host: '127.0.0.1' });
    try {
      const mqtt = (await import('mqtt')).default;
      const again = await mqtt.connectAsync(`mqtt://127.0.0.1:${restarted.mqttPort}`, { protocolVersion: 4, clientId: UNIT, username: UNIT, password: d.secret, reconnectPeriod: 0 });
      reg.clients.push(again);
      await again.subscribeAsync(deviceTopic(UNIT, 'telemetry/ack'), { qos: 1 });
      expect((await send(again, 'stream-gap-1', [9])).upTo).toBe(7);
      expect((await send(again, 'stream-gap-1', [8])).upTo).toBe(9);
      await again.endAsync(true);
    } finally {
      await restarted.close();
    }
  });

  it('keeps the records of a decommissioned device apart from the unit id registered again', async () => {
    reg = await startMqttRegistry();
    const first = await reg.register(UNIT);
    let dev = await online(reg, first.secret);
    expect((await send(dev, 'stream-keys-1', [1, 2, 3])).upTo).toBe(3);
    await dev.endAsync(true);
    expect((await reg.req('DELETE', `/v1/devices/${first.id}`, { token: reg.rootToken })).status).toBe(204);

    const second = await reg.register(UNIT);
    expect(second.id).not.toBe(first.id);
    dev = await online(reg, second.secret);
    // Same stream id and seqs under the new device: new records, not duplicates of the old ones.
    expect((await send(dev, 'stream-keys-1', [1, 2])).upTo).toBe(2);
    expect((await send(dev, 'stream-keys-2', [1])).upTo).toBe(1);
    expect(await seqsOf(reg, second.id)).toEqual([1, 1, 2]);
    expect(await seqsOf(reg, first.id)).toEqual([1, 2, 3]);
    const rows = reg.db.prepare('SELECT device_id, count(*) AS n FROM telemetry GROUP BY device_id ORDER BY n').all();
    expect(rows).toEqual(expect.arrayContaining([{ device_id: first.id, n: 3 }, { device_id: second.id, n: 3 }]));
  });
});
