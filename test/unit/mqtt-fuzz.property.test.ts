/**
 * Property: whatever topics, filters and payloads devices and users throw at the broker, nothing
 * reaches a connection that the rule forbids it to receive, and the broker keeps serving.
 */
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

interface Party {
  name: string;
  kind: 'user' | 'device';
  /** Where this party may receive: a topicRoot prefix (users) or its two device topics. */
  mayReceive: (topic: string) => boolean;
  connect: () => Promise<MqttClient>;
  client?: MqttClient;
  received: string[];
}

describe('MQTT fuzz: no forbidden delivery, no crash', () => {
  let reg: MqttRegistry;
  const parties: Party[] = [];
  const topics: string[] = [];

  beforeAll(async () => {
    reg = await startMqttRegistry();
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A');
    const a1 = await reg.createAccount(reg.rootToken, a.id, 'A1');
    const b = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'B');
    const accounts = [a, a1, b];
    for (const [i, acct] of accounts.entries()) {
      const u = await reg.createUser(reg.rootToken, acct.id, { deviceAccess: 'read', accountAdmin: false });
      const root = (await reg.req('GET', '/v1/me', { token: u.token })).body.topicRoot as string;
      topics.push(`${root}/devices/00000000000${i}/telemetry`, `${root}/x`, root);
      parties.push({ name: `user-${acct.name}`, kind: 'user', received: [], mayReceive: (t) => t.startsWith(`${root}/`), connect: () => reg.user(u.user.email, u.token) });
      const unit = `beef0000000${i}`.padEnd(12, '0');
      const d = await reg.register(unit, acct.id);
      topics.push(deviceTopic(unit, 'telemetry'), deviceTopic(unit, 'hello'), deviceTopic(unit, 'ownership'), deviceTopic(unit, 'ownership/ack'), deviceTopic(unit, 'telemetry/ack'));
      const own = new Set([deviceTopic(unit, 'ownership'), deviceTopic(unit, 'telemetry/ack')]);
      parties.push({ name: `device-${acct.name}`, kind: 'device', received: [], mayReceive: (t) => own.has(t), connect: () => reg.device(unit, d.secret) });
    }
    topics.push('$SYS/x', 'v1/accounts', 'v1/devices', 'a/b', `v1/accounts/${reg.rootAccountId}/devices/aaaaaaaaaaaa/telemetry`);
  });
  afterAll(async () => reg?.close());

  const ensure = async (p: Party): Promise<MqttClient> => {
    if (p.client?.connected) return p.client;
    const c = await p.connect();
    c.on('message', (t) => p.received.push(t));
    p.client = c;
    return c;
  };

  it('never delivers outside the rule', async () => {
    const filters = () => fc.oneof(fc.constantFrom(...topics, '#', '+/#', '$SYS/#', 'v1/+/#', 'v1/accounts/+/+/#', 'v1/devices/+/+'), fc.string({ maxLength: 20 }));
    const op = fc.oneof(
      fc.record({ t: fc.constant('sub' as const), who: fc.nat(parties.length - 1), filter: filters() }),
      fc.record({ t: fc.constant('pub' as const), who: fc.nat(parties.length - 1), topic: fc.constantFrom(...topics), payload: fc.oneof(fc.string({ maxLength: 64 }), fc.json({ maxDepth: 2 })) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          const p = parties[o.who]!;
          const c = await ensure(p);
          if (o.t === 'sub') await c.subscribeAsync(o.filter, { qos: 0 }).catch(() => undefined);
          else c.publish(o.topic, o.payload, { qos: 0 });
        }
        await new Promise((r) => setTimeout(r, 30));
        for (const p of parties) {
          const bad = p.received.filter((t) => !p.mayReceive(t));
          expect(bad, p.name).toEqual([]);
        }
      }),
      { numRuns: 25 },
    );
    // Still serving: a QoS 1 round trip for a legitimate device.
    const dev = parties.find((p) => p.kind === 'device')!;
    const c = await ensure(dev);
    const helloTopic = topics.find((t) => t.endsWith('/hello'))!;
    // Resolves only on the PUBACK: a QoS 1 round trip after the fuzzing.
    await c.publishAsync(helloTopic, '{}', { qos: 1 });
    expect((await reg.req('GET', '/healthz')).status).toBe(200);
  });
});
