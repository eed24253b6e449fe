/**
 * The broker's login and topic rules with real mqtt clients against the embedded aedes, and the
 * ownership conversation (push, hello, ack, settings re-push, revocations closing sessions).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { nextMessage, startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

/** The CONNACK return code of a refused login (0 when accepted). */
function connackCode(url: string, o: mqtt.IClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...o });
    c.once('connect', () => c.end(true, () => resolve(0)));
    c.once('error', (e: Error & { code?: number }) => c.end(true, () => resolve(e.code ?? -1)));
  });
}

async function granted(c: MqttClient, filter: string): Promise<number> {
  try {
    const g = await c.subscribeAsync(filter, { qos: 1 });
    return g[0]?.qos ?? -1;
  } catch (e) {
    // mqtt.js rejects with the SUBACK packet attached; 0x80 is the refusal [MQTT-3.9.3].
    return (e as { packet?: { granted?: number[] } }).packet?.granted?.[0] ?? -1;
  }
}

function closed(c: MqttClient, ms = 1000): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (!c.connected) return resolve(0);
    const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    c.once('close', () => {
      clearTimeout(t);
      resolve(Date.now() - start);
    });
  });
}

describe('MQTT login and topic rules', () => {
  let reg: MqttRegistry;
  let nested: string;
  let sibling: string;
  let nestedUser: { email: string; token: string; id: string };
  const unit = 'ab12cd34ef560001';
  const other = 'ab12cd34ef560002';
  let dev: { id: string; secret: string };
  let topicRoot: string;

  beforeAll(async () => {
    reg = await startMqttRegistry();
    nested = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Nested')).id;
    sibling = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Sibling')).id;
    const u = await reg.createUser(reg.rootToken, nested, { deviceAccess: 'read', accountAdmin: false });
    nestedUser = { email: u.user.email, token: u.token, id: u.user.id };
    topicRoot = (await reg.req('GET', '/v1/me', { token: u.token })).body.topicRoot;
    dev = await reg.register(unit, nested);
    await reg.register(other, sibling);
  });
  afterAll(async () => reg?.close());

  it('refuses client ids that are neither a unit id nor u-..., and bad secrets', async () => {
    expect(await connackCode(reg.mqttUrl, { clientId: 'laptop', username: nestedUser.email, password: nestedUser.token })).toBe(2);
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: unit, password: 'wrong-secret' })).toBe(4);
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: other, password: dev.secret })).toBe(4);
    // A user cannot take a device's session by using its unit id as client id.
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: nestedUser.email, password: nestedUser.token })).toBe(4);
    expect(await connackCode(reg.mqttUrl, { clientId: 'u-x', username: nestedUser.email, password: 'not-a-token-0000000000000' })).toBe(4);
    expect(await connackCode(reg.mqttUrl, { clientId: 'u-x', username: 'someone@else.test', password: nestedUser.token })).toBe(4);
    expect(await connackCode(reg.mqttUrl, { clientId: 'u-x', username: 'token', password: nestedUser.token })).toBe(0);
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: unit, password: dev.secret })).toBe(0);
  });

  it('lets a device subscribe only to its own ownership and telemetry/ack', async () => {
    const d = await reg.device(unit, dev.secret);
    expect(await granted(d, deviceTopic(unit, 'ownership'))).toBe(1);
    expect(await granted(d, deviceTopic(unit, 'telemetry/ack'))).toBe(1);
    for (const f of ['#', 'v1/devices/+/ownership', deviceTopic(other, 'ownership'), deviceTopic(unit, 'hello'), `${topicRoot}/#`, '$SYS/#']) {
      expect(await granted(d, f), f).toBe(128);
    }
    await d.endAsync();
  });

  it('lets a user subscribe only under its topicRoot', async () => {
    const c = await reg.user(nestedUser.email, nestedUser.token);
    expect(await granted(c, `${topicRoot}/#`)).toBe(1);
    expect(await granted(c, `${topicRoot}/devices/+/telemetry`)).toBe(1);
    const rootRoot = `v1/accounts/${reg.rootAccountId}`;
    for (const f of ['#', '+/#', '$SYS/#', 'v1/accounts/#', 'v1/accounts/+/#', `${rootRoot}/#`, `${rootRoot}/+/#`, `${rootRoot}/${sibling}/#`, topicRoot, `${topicRoot}x/#`, deviceTopic(unit, 'ownership'), 'v1/devices/#']) {
      expect(await granted(c, f), f).toBe(128);
    }
    await c.endAsync();
  });

  it('refuses users without device access even under their own root', async () => {
    const none = await reg.createUser(reg.rootToken, nested, { deviceAccess: 'none', accountAdmin: false });
    const c = await reg.user(none.user.email, none.token);
    expect(await granted(c, `${topicRoot}/#`)).toBe(128);
    await c.endAsync();
  });

  it('closes the connection of a forbidden publish and never forwards it', async () => {
    const root = await reg.user('root@test.local', reg.rootToken);
    await root.subscribeAsync(`v1/accounts/${reg.rootAccountId}/#`, { qos: 1 });
    const seen: string[] = [];
    root.on('message', (t) => seen.push(t));
    const u = await reg.user(nestedUser.email, nestedUser.token);
    const gone = closed(u);
    u.publish(`${topicRoot}/devices/${unit}/telemetry`, JSON.stringify({ unitId: unit, deviceId: dev.id, records: [] }), { qos: 1 });
    await gone;
    const d = await reg.device(unit, dev.secret);
    const dgone = closed(d);
    d.publish(deviceTopic(other, 'telemetry'), JSON.stringify({ stream: 'forged-stream', records: [] }), { qos: 1 });
    await dgone;
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    await root.endAsync();
  });
});

describe('ownership conversation and revocations', () => {
  let reg: MqttRegistry;
  let acct: string;
  const unit = 'cd12cd34ef560009';
  let dev: { id: string; secret: string };

  beforeAll(async () => {
    reg = await startMqttRegistry();
    acct = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Fleet A')).id;
    dev = await reg.register(unit, acct);
  });
  afterAll(async () => reg?.close());

  it('pushes ownership, records hello and the ack, and re-pushes on a settings change', async () => {
    const d = await reg.device(unit, dev.secret);
    const first = nextMessage(d, deviceTopic(unit, 'ownership'));
    await d.subscribeAsync(deviceTopic(unit, 'ownership'), { qos: 1 });
    const own = await first;
    expect(own).toMatchObject({ accountId: acct, settings: { gnss: true } });
    await d.publishAsync(deviceTopic(unit, 'hello'), JSON.stringify({ unitId: unit, agentVersion: '1.2.3', epoch: own.epoch, issuedAt: own.issuedAt, vin: '1HGCM82633A004352', queue: { depth: 3, oldestTs: 1, dropped: 0 } }), { qos: 1 });
    await d.publishAsync(deviceTopic(unit, 'ownership/ack'), JSON.stringify({ epoch: own.epoch, issuedAt: own.issuedAt }), { qos: 1 });
    const got = (await reg.req('GET', `/v1/devices/${dev.id}`, { token: reg.rootToken })).body;
    expect(got).toMatchObject({ agentVersion: '1.2.3', vin: '1HGCM82633A004352', appliedEpoch: own.epoch });
    expect(got.lastSeen).toBeGreaterThan(0);

    const pushed = nextMessage(d, deviceTopic(unit, 'ownership'));
    const p = await reg.req('PATCH', `/v1/accounts/${reg.rootAccountId}`, { token: reg.rootToken, body: { settings: { gnss: false, telemetryIntervalMs: 1000 } } });
    expect(p.status).toBe(200);
    const again = await pushed;
    expect(again.epoch).toBe(own.epoch);
    expect(again.issuedAt).toBeGreaterThan(own.issuedAt);
    expect(again.settings).toMatchObject({ gnss: false, telemetryIntervalMs: 1000 });
    await d.endAsync();
  });

  it('closes a rotated device within 1 s and refuses the old secret', async () => {
    const d = await reg.device(unit, dev.secret);
    const gone = closed(d);
    const r = await reg.req('POST', `/v1/devices/${dev.id}/secret`, { token: reg.rootToken });
    expect(r.status).toBe(200);
    expect(await gone).toBeLessThan(1000);
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: unit, password: dev.secret })).toBe(4);
    dev.secret = r.body.secret;
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: unit, password: dev.secret })).toBe(0);
  });

  it('closes a deleted user and a revoked token at once', async () => {
    const u = await reg.createUser(reg.rootToken, acct, { deviceAccess: 'read', accountAdmin: false });
    const c = await reg.user(u.user.email, u.token);
    const gone = closed(c);
    expect((await reg.req('DELETE', `/v1/users/${u.user.id}`, { token: reg.rootToken })).status).toBe(204);
    expect(await gone).toBeLessThan(1000);

    const t = await reg.req('POST', '/v1/tokens', { token: reg.rootToken, body: { name: 'mqtt' } });
    const tc = await reg.user('token', t.body.token);
    const tgone = closed(tc);
    expect((await reg.req('DELETE', `/v1/tokens/${t.body.id}`, { token: reg.rootToken })).status).toBe(204);
    expect(await tgone).toBeLessThan(1000);
  });

  it('closes a decommissioned device within 1 s and refuses it afterwards', async () => {
    const d = await reg.device(unit, dev.secret);
    const gone = closed(d);
    expect((await reg.req('DELETE', `/v1/devices/${dev.id}`, { token: reg.rootToken })).status).toBe(204);
    expect(await gone).toBeLessThan(1000);
    expect(await connackCode(reg.mqttUrl, { clientId: unit, username: unit, password: dev.secret })).toBe(4);
  });
});
