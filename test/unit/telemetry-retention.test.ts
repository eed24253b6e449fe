/**
 * Retention prunes only what is older than the cutoff, oldest first, in bounded batches; and a
 * registry restart re-publishes every device's retained ownership message (aedes keeps retained
 * messages in memory only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { startBroker } from '../../cloud/mqtt/broker.js';
import { TelemetryStore } from '../../cloud/store/telemetry-store.js';
import { startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

describe('telemetry retention and restart', () => {
  let reg: MqttRegistry | undefined;
  afterEach(async () => reg?.close());

  it('prunes old records in batches and keeps recent ones', async () => {
    reg = await startMqttRegistry();
    const store = new TelemetryStore(reg.db);
    const row = (seq: number, receivedAt: number) => ({
      device_id: 'd', stream: 'stream-retention', seq, epoch: 1, ts: receivedAt, kind: 'obd', data: '{}',
      account_id: reg!.rootAccountId, account_path: `/${reg!.rootAccountId}/`, received_at: receivedAt,
    });
    reg.db.transaction(() => {
      for (let i = 1; i <= 1200; i++) store.insert(row(i, 1000 + i));
      for (let i = 1201; i <= 1210; i++) store.insert(row(i, 1_000_000 + i));
    })();
    expect(store.pruneBefore(500_000, 500)).toBe(500);
    expect(store.pruneBefore(500_000, 500)).toBe(500);
    expect(store.pruneBefore(500_000, 500)).toBe(200);
    expect(store.pruneBefore(500_000, 500)).toBe(0);
    const left = reg.db.prepare('SELECT seq FROM telemetry ORDER BY seq').pluck().all();
    expect(left).toEqual(Array.from({ length: 10 }, (_, i) => 1201 + i));
  });

  it('re-publishes retained ownership messages when the broker starts again', async () => {
    reg = await startMqttRegistry();
    const acct = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Restarted');
    const unit = 'aa00bb00cc00dd01';
    const dev = await reg.register(unit, acct.id);
    // A second broker on the same database stands for the registry after a restart.
    const again = await startBroker({ app: reg.app, config: reg.services.ctx.config, log: reg.services.ctx.log, host: '127.0.0.1' });
    try {
      const url = `mqtt://127.0.0.1:${again.mqttPort}`;
      const mqtt = (await import('mqtt')).default;
      const c = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: unit, username: unit, password: dev.secret, reconnectPeriod: 0 });
      const got = new Promise<any>((resolve) => c.on('message', (_t, p) => resolve(JSON.parse(p.toString()))));
      await c.subscribeAsync(deviceTopic(unit, 'ownership'), { qos: 1 });
      expect(await got).toMatchObject({ accountId: acct.id, epoch: expect.any(Number) });
      await c.endAsync(true);
    } finally {
      await again.close();
    }
  });
});
