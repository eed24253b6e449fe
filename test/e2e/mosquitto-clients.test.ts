/**
 * With clients nobody here wrote: Debian's mosquitto_sub and mosquitto_pub (mosquitto-clients)
 * against the embedded broker. A user subscribes under its topicRoot and receives a device's
 * record; outside its topicRoot it is refused; a device publishes telemetry and reads its ack.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

function sub(port: number, args: string[], ms: number): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGTERM'), ms);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ out, err, code });
    });
  });
}

/** Async on purpose: the broker runs in this process, so a blocking spawn would starve it. */
function pub(port: number, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args]);
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGTERM'), 10_000);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stderr });
    });
  });
}

describe('mosquitto-clients against the registry', () => {
  let reg: MqttRegistry;
  const unit = 'fe12cd34ef560001';
  let dev: { id: string; secret: string };
  let user: { email: string; token: string };
  let topicRoot: string;
  let siblingRoot: string;

  beforeAll(async () => {
    reg = await startMqttRegistry();
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Customer');
    const b = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Sibling');
    const u = await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'read', accountAdmin: false });
    user = { email: u.user.email, token: u.token };
    topicRoot = (await reg.req('GET', '/v1/me', { token: u.token })).body.topicRoot;
    siblingRoot = `v1/accounts/${reg.rootAccountId}/${b.id}`;
    dev = await reg.register(unit, a.id);
  });
  afterAll(async () => reg?.close());

  it('a user receives a device record under its topicRoot', async () => {
    const port = reg.broker.mqttPort;
    const got = sub(port, ['-i', 'u-mosq-1', '-u', user.email, '-P', user.token, '-t', `${topicRoot}/#`, '-C', '1', '-q', '1'], 8000);
    await new Promise((r) => setTimeout(r, 500));
    const own = (await reg.req('GET', `/v1/devices/${dev.id}`, { token: reg.rootToken })).body;
    const batch = { stream: 'mosquitto-stream', records: [{ seq: 1, epoch: own.epoch, ts: Date.now(), kind: 'gnss', data: { lat: 55.67, lon: 12.56 } }] };
    const p = await pub(port, ['-i', `${unit}`, '-u', unit, '-P', dev.secret, '-t', deviceTopic(unit, 'telemetry'), '-q', '1', '-m', JSON.stringify(batch)]);
    expect(p.status, p.stderr).toBe(0);
    const received = await got;
    const live = JSON.parse(received.out.trim());
    expect(live).toMatchObject({ unitId: unit, deviceId: dev.id, records: [{ seq: 1, kind: 'gnss', data: { lat: 55.67 } }] });
    const stored = await reg.req('GET', `/v1/devices/${dev.id}/telemetry`, { token: user.token });
    expect(stored.body.items.map((r: { seq: number }) => r.seq)).toEqual([1]);
  });

  it('refuses a user outside its topicRoot and a publish by a user', async () => {
    const port = reg.broker.mqttPort;
    for (const filter of [`${siblingRoot}/#`, '#', 'v1/accounts/+/#']) {
      const r = await sub(port, ['-i', 'u-mosq-2', '-u', user.email, '-P', user.token, '-t', filter, '-C', '1', '-W', '2'], 5000);
      expect(r.out).toBe('');
      expect(r.err.toLowerCase()).toContain('denied');
    }
    const bad = await sub(port, ['-i', 'laptop', '-u', user.email, '-P', user.token, '-t', `${topicRoot}/#`, '-C', '1', '-W', '2'], 5000);
    expect(bad.code).not.toBe(0);
    expect(bad.err.toLowerCase()).toMatch(/identifier rejected|refused/);
  });
});
