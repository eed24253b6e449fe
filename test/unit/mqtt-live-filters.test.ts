/**
 * The console's live view of one device (protocol/topics.ts deviceLiveFilters, used by
 * cloud/web/src/live.ts), through the real broker: every filter is granted to a user of any level
 * above the device's owner, the device's records arrive wherever below the user they are
 * attributed, and another device's records under the same accounts do not.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLiveFilters, deviceTopic, MAX_NESTING } from '../../protocol/topics.js';
import { nextMessage, startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';
import { until } from '../helpers/wait.js';

const WATCHED = 'a1b2c3d4e5f60101';
const OTHER = 'a1b2c3d4e5f60102';

describe('live filters for one device', () => {
  let reg: MqttRegistry;
  const accounts: string[] = []; // depth 1, 2, 3: A, A/B, A/B/C
  const devices: Record<string, { id: string; secret: string; client?: MqttClient; epoch: number; seq: number }> = {};

  /** Publishes one record and waits for its telemetry/ack (the fan-out is sent with it). */
  async function record(unitId: string): Promise<void> {
    const d = devices[unitId]!;
    const client = d.client!;
    const ack = nextMessage(client, deviceTopic(unitId, 'telemetry/ack'));
    const records = [{ seq: ++d.seq, epoch: d.epoch, ts: Date.now(), kind: 'obd', data: { rpm: 900 } }];
    await client.publishAsync(deviceTopic(unitId, 'telemetry'), JSON.stringify({ stream: `stream-${unitId}`, records }), { qos: 1 });
    await ack;
  }

  /** (Re)connects the device and waits for its current ownership (its epoch tags the records). */
  async function online(unitId: string): Promise<void> {
    const d = devices[unitId]!;
    await d.client?.endAsync(true);
    const client = (d.client = await reg.device(unitId, d.secret));
    const own = nextMessage(client, deviceTopic(unitId, 'ownership'));
    await client.subscribeAsync([deviceTopic(unitId, 'ownership'), deviceTopic(unitId, 'telemetry/ack')], { qos: 1 });
    d.epoch = (await own).epoch;
  }

  /** A user of `accountId` watching WATCHED the way the console does; answers the granted QoS and what it receives. */
  async function watcher(accountId: string) {
    const u = await reg.createUser(reg.rootToken, accountId, { deviceAccess: 'read', accountAdmin: false });
    const me = (await reg.req('GET', '/v1/me', { token: u.token })).body;
    const c = await reg.user(u.user.email, u.token);
    const got: string[] = [];
    c.on('message', (_t, p) => got.push(JSON.parse(p.toString()).unitId));
    const filters = deviceLiveFilters(me.topicRoot, me.account.depth, WATCHED);
    const granted = await c.subscribeAsync(filters, { qos: 0 });
    return { got, filters, granted: granted.map((g) => g.qos) };
  }

  beforeAll(async () => {
    reg = await startMqttRegistry();
    let parent = reg.rootAccountId;
    for (const name of ['A', 'B', 'C']) accounts.push((parent = (await reg.createAccount(reg.rootToken, parent, name)).id));
    for (const unitId of [WATCHED, OTHER]) {
      devices[unitId] = { ...(await reg.register(unitId, accounts[2])), epoch: 0, seq: 0 };
      await online(unitId);
    }
  });
  afterAll(async () => reg?.close());

  it('grants every filter, delivers the device at any depth below, and nothing of another device', async () => {
    const root = await watcher(reg.rootAccountId);
    const a = await watcher(accounts[0]!);
    expect(root.filters).toHaveLength(MAX_NESTING + 1);
    expect(a.filters).toHaveLength(MAX_NESTING);
    expect([...root.granted, ...a.granted].every((q) => q === 0)).toBe(true);

    await record(WATCHED); // owned at depth 3
    await record(OTHER);
    await reg.assign(accounts[0]!, [devices[WATCHED]!.id]); // now owned at depth 1: A itself
    await online(WATCHED);
    await record(WATCHED);
    await record(OTHER);
    await record(WATCHED);
    await until(() => root.got.length >= 3 && a.got.length >= 3, 5000, 'three live batches of the watched device');
    expect(root.got).toEqual([WATCHED, WATCHED, WATCHED]);
    expect(a.got).toEqual([WATCHED, WATCHED, WATCHED]);
  });
});
