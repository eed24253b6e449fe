/**
 * The built entry as systemd runs it: one clear line and exit 2 on bad configuration; with
 * AGENT_SIMULATE=1 the real OBD and GNSS drivers on the simulated vehicle feed the registry; SIGTERM
 * stops it cleanly within 5 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEntry, REPO } from '../helpers/compile.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const OUT = join(REPO, 'dist', `agent-main-${process.pid}`);
let MAIN = '';
const dirs: string[] = [];

beforeAll(() => {
  MAIN = compileEntry('agent/main.ts', OUT);
}, 60_000);
afterAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += String(d)));
  child.stderr.on('data', (d) => (out.stderr += String(d)));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, out, exited };
}

describe('agent main', () => {
  it('exits 2 with one line naming every bad variable', async () => {
    const r = run({ AGENT_MQTT_URL: 'http://registry', AGENT_GNSS_BAUD: 'fast', AGENT_SIMULATE: 'true' });
    expect(await r.exited).toBe(2);
    const lines = r.out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fleet-agent: bad configuration: /);
    for (const v of ['AGENT_MQTT_URL', 'AGENT_GNSS_BAUD', 'AGENT_SIMULATE', 'AGENT_SECRET']) expect(lines[0]).toContain(v);
  });

  it('exits 2 with one line when the board has no serial and AGENT_UNIT_ID is unset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    dirs.push(dir);
    const r = run({ AGENT_MQTT_URL: 'mqtt://127.0.0.1:1', AGENT_SECRET: 'x', AGENT_STATE_DIR: dir, AGENT_BOARD_SERIAL_PATH: join(dir, 'none'), AGENT_CPUINFO_PATH: join(dir, 'none'), LOG_LEVEL: 'silent' });
    expect(await r.exited).toBe(2);
    expect(r.out.stderr.trim().split('\n')).toEqual([expect.stringMatching(/cannot derive the unit id .* set AGENT_UNIT_ID$/)]);
  });

  it('AGENT_SIMULATE=1 sends OBD and GNSS readings from the simulated vehicle; SIGTERM stops within 5 s', async () => {
    const reg = await new FakeRegistry().start();
    const unitId = 'dca632aabbccddee';
    reg.devices.set(unitId, 'sim-secret-000000');
    const dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    dirs.push(dir);
    try {
      const r = run({ AGENT_MQTT_URL: reg.url, AGENT_UNIT_ID: unitId, AGENT_SECRET: 'sim-secret-000000', AGENT_STATE_DIR: dir, AGENT_SIMULATE: '1' });
      await until(() => reg.hellos.length > 0, 10_000, 'hello');
      const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
      expect(reg.hellos[0]).toMatchObject({ unitId, agentVersion: version, epoch: 0 });
      const kinds = () => new Set([...reg.streams.values()].flatMap((s) => [...s.stored.values()].map((rec) => rec.kind)));
      await until(() => kinds().has('obd') && kinds().has('gnss'), 15_000, 'obd and gnss records');
      const t = Date.now();
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      expect(Date.now() - t).toBeLessThan(5_000);
      expect(r.out.stderr).toBe('');
      const logs = r.out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
      expect(logs.some((l) => l.msg === 'agent stopped')).toBe(true);
      expect(r.out.stdout).not.toContain('sim-secret');
    } finally {
      await reg.close();
    }
  }, 40_000);
});
