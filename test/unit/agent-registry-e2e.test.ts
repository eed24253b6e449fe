/**
 * The agent and the registry end to end, both real: register a device, run the agent with the
 * simulated vehicle (real ELM327 and NMEA drivers on simulated ports), see records arrive; move the
 * device, see the agent acknowledge the new epoch and new records attributed to the new owner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentApp } from '../../agent/app.js';
import { buildSources, type BuiltSources } from '../../agent/build-sources.js';
import { loadConfig } from '../../agent/config.js';
import { startMqttRegistry, type MqttRegistry } from '../helpers/mqtt-harness.js';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('agent with a simulated vehicle against the real registry', () => {
  let reg: MqttRegistry;
  let agent: AgentApp;
  let built: BuiltSources;
  let stateDir: string;
  const unitId = '00000000c0ffee01';

  beforeAll(async () => {
    reg = await startMqttRegistry();
    stateDir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
  });
  afterAll(async () => {
    await agent?.stop();
    built?.stop();
    await reg?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('delivers records, follows a move, and attributes to the new owner', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Customer A');
    const b = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Customer B');
    // A fast interval so the test sees several readings quickly.
    await reg.req('PATCH', `/v1/accounts/${a.id}`, { token: reg.rootToken, body: { settings: { telemetryIntervalMs: 200 } } });
    await reg.req('PATCH', `/v1/accounts/${b.id}`, { token: reg.rootToken, body: { settings: { telemetryIntervalMs: 200 } } });
    const dev = await reg.register(unitId, a.id);
    const config = loadConfig({ AGENT_MQTT_URL: reg.mqttUrl, AGENT_UNIT_ID: unitId, AGENT_SECRET: dev.secret, AGENT_STATE_DIR: stateDir, AGENT_SIMULATE: '1', LOG_LEVEL: 'silent' });
    const log = pino({ level: 'silent' });
    built = buildSources(config, log);
    agent = new AgentApp({ config, log, agentVersion: '0.1.0-e2e', sources: built.sources, ...(built.vehicle ? { vehicle: built.vehicle } : {}), ...(built.timeHint ? { timeHint: built.timeHint } : {}), statusIntervalMs: 0 });
    await agent.start();

    const device = () => reg.req('GET', `/v1/devices/${dev.id}`, { token: reg.rootToken }).then((r) => r.body);
    const first = await until('the agent to apply the first ownership', async () => {
      const d = await device();
      return d.appliedEpoch === d.epoch ? d : undefined;
    });
    expect(first.agentVersion).toBe('0.1.0-e2e');
    const kinds = await until('obd and gnss records for A', async () => {
      const r = await reg.req('GET', `/v1/devices/${dev.id}/telemetry?limit=1000`, { token: reg.rootToken });
      const k = new Set(r.body.items.map((i: { kind: string }) => i.kind));
      return k.has('obd') && k.has('gnss') ? r.body.items : undefined;
    });
    expect(kinds.every((i: { accountId: string }) => i.accountId === a.id)).toBe(true);

    await reg.assign(b.id, [dev.id]);
    const moved = await until('the agent to apply the move', async () => {
      const d = await device();
      return d.accountId === b.id && d.appliedEpoch === d.epoch ? d : undefined;
    });
    expect(moved.epoch).toBe(first.epoch + 1);
    await until('records attributed to B with the new epoch', async () => {
      const r = await reg.req('GET', `/v1/devices/${dev.id}/telemetry?limit=1000&from=0`, { token: reg.rootToken });
      return r.body.items.some((i: { accountId: string; epoch: number }) => i.accountId === b.id && i.epoch === moved.epoch) || undefined;
    });
    // Every stored record of the stream arrived once, seq without gaps.
    const all = reg.db.prepare('SELECT seq FROM telemetry WHERE device_id = ? ORDER BY seq').pluck().all(dev.id) as number[];
    expect(all).toEqual(all.map((_, i) => i + 1));
  });
});
