import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type EffectiveSettings, type Ownership } from '../../protocol/messages.js';
import { AgentApp } from '../../agent/app.js';
import { AgentClock } from '../../agent/clock.js';
import { loadConfig } from '../../agent/config.js';
import type { ReadingSink, ReadingSource } from '../../agent/sources.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const UNIT = '10000000a1b2c3d4';
const SECRET = 'device-secret-abcdef';
const T0 = Date.UTC(2026, 10, 26, 3, 0, 0);

/** A source the test drives by hand. */
class HandSource implements ReadingSource {
  sink: ReadingSink | undefined;
  settings: EffectiveSettings[] = [];
  stopped = false;
  async start(sink: ReadingSink) {
    this.sink = sink;
  }
  applySettings(s: EffectiveSettings) {
    this.settings.push(s);
  }
  async stop() {
    this.stopped = true;
  }
  emit(n: number) {
    this.sink!({ kind: 'obd', data: { n } });
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(synced = true, statusIntervalMs = 0) {
  const reg = await new FakeRegistry().start();
  reg.devices.set(UNIT, SECRET);
  cleanups.push(() => reg.close());
  const dir = mkdtempSync(join(tmpdir(), 'agent-app-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // The unit id comes from fixture board files, as on a Raspberry Pi.
  writeFileSync(join(dir, 'serial-number'), `${UNIT}\0`);
  const config = loadConfig({
    AGENT_MQTT_URL: reg.url,
    AGENT_SECRET: SECRET,
    AGENT_STATE_DIR: join(dir, 'state'),
    AGENT_BOARD_SERIAL_PATH: join(dir, 'serial-number'),
    AGENT_CPUINFO_PATH: join(dir, 'no-cpuinfo'),
  });
  let now = synced ? T0 : 5_000;
  const clock = new AgentClock({ systemNow: () => now, isSynced: () => synced, monotonicNow: () => now });
  const source = new HandSource();
  const app = new AgentApp({
    config,
    log: pino({ level: 'silent' }),
    agentVersion: '9.9.9',
    sources: [source],
    clock,
    statusIntervalMs,
    uplink: { backoff: { minMs: 20, maxMs: 100 } },
  });
  return { reg, app, source, tick: (ms: number) => (now += ms) };
}

const own = (epoch: number, settings: Partial<EffectiveSettings> = {}): Ownership => ({
  accountId: `acc-${epoch}`,
  epoch,
  issuedAt: T0 + epoch,
  settings: { ...DEFAULT_SETTINGS, ...settings },
});

describe('AgentApp', () => {
  it('tags records with epoch 0 before any ownership, then with the held epoch, and applies settings live', async () => {
    const { reg, app, source, tick } = await setup();
    await app.start();
    expect(app.unitId).toBe(UNIT);
    expect(source.settings).toEqual([DEFAULT_SETTINGS]);
    source.emit(1);
    tick(1000);
    await until(() => reg.records(app.stream).length === 1, 5_000, 'first record');
    await reg.publishOwnership(UNIT, own(4, { telemetryIntervalMs: 1000, gnss: false }));
    await until(() => reg.ownershipAcks.length === 1, 5_000, 'ownership ack');
    expect(source.settings.at(-1)).toMatchObject({ telemetryIntervalMs: 1000, gnss: false });
    source.emit(2);
    await until(() => reg.records(app.stream).length === 2, 5_000, 'second record');
    expect(reg.records(app.stream)).toEqual([
      { seq: 1, epoch: 0, ts: T0, kind: 'obd', data: { n: 1 } },
      { seq: 2, epoch: 4, ts: T0 + 1000, kind: 'obd', data: { n: 2 } },
    ]);
    expect(reg.hellos[0]).toMatchObject({ unitId: UNIT, agentVersion: '9.9.9', epoch: 0 });
    await app.stop();
    expect(source.stopped).toBe(true);
  });

  it('sends its own status readings with the queue health', async () => {
    const { reg, app } = await setup(true, 20);
    await app.start();
    await until(() => reg.records(app.stream).some((r) => r.kind === 'status'), 5_000, 'a status record');
    const status = reg.records(app.stream).find((r) => r.kind === 'status')!;
    expect(status.data).toMatchObject({ queueDepth: expect.any(Number), queueDropped: 0, uptimeS: expect.any(Number), rssBytes: expect.any(Number) });
    await app.stop();
  });

  it('marks records made before any trustworthy time as unsynced', async () => {
    const { reg, app, source } = await setup(false);
    await app.start();
    source.emit(1);
    await until(() => reg.records(app.stream).length === 1, 5_000, 'record');
    expect(reg.records(app.stream)[0]).toMatchObject({ ts: 5_000, data: { n: 1, clock: 'unsynced' } });
    await app.stop();
  });

  it('stop flushes what it can within the budget, and keeps the rest for the next start', async () => {
    const { reg, app, source } = await setup();
    await app.start();
    await until(() => reg.hellos.length === 1, 5_000, 'connected');
    for (let i = 0; i < 50; i++) source.emit(i);
    const stream = app.stream;
    const t = Date.now();
    await app.stop();
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(reg.records(stream).map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

    await reg.goDown();
    await app.start();
    source.emit(99);
    const t2 = Date.now();
    await app.stop(); // broker down: gives up within the budget, the record stays queued
    expect(Date.now() - t2).toBeLessThan(5_500);
    await reg.comeBack();
    await app.start();
    expect(app.stream).toBe(stream);
    await until(() => reg.records(stream).length === 51, 5_000, 'kept record sent after restart');
    await app.stop();
  });
});
