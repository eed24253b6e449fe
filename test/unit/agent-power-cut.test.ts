/**
 * The agent survives SIGKILL at random instants (offline, while flushing, while the broker comes
 * and goes): at the end every reading it made is in the registry exactly once, in order, per stream.
 * (SIGKILL cannot catch a missing fsync; agent-state and agent-queue-sqlite cover that.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEntry, REPO } from '../helpers/compile.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const OUT = join(REPO, 'dist', `agent-harness-${process.pid}`);
let ENTRY = '';
const UNIT = 'c0ffee00c0ffee00';
const SECRET = 'power-cut-secret-123';

let reg: FakeRegistry;
let stateDir: string;

beforeAll(async () => {
  ENTRY = compileEntry('test/helpers/agent-harness.ts', OUT);
  reg = await new FakeRegistry().start();
  reg.devices.set(UNIT, SECRET);
  stateDir = mkdtempSync(join(tmpdir(), 'agent-power-cut-'));
}, 60_000);

afterAll(async () => {
  await reg?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

function spawnAgent(run: string, intervalMs: number): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null>; stderr: string[] } {
  const stderr: string[] = [];
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH, AGENT_MQTT_URL: reg.url, AGENT_UNIT_ID: UNIT, AGENT_SECRET: SECRET, AGENT_STATE_DIR: stateDir,
      LOG_LEVEL: 'error', HARNESS_RUN: run, HARNESS_INTERVAL_MS: String(intervalMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => stderr.push(String(d)));
  const started = new Promise<void>((res) => child.stdout!.once('data', () => res()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, started, exited, stderr };
}

/** Random in [lo, hi). */
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('agent power cut (SIGKILL at random instants)', () => {
  it('loses nothing, duplicates nothing, keeps order: 54 kills online, offline, and with a flapping broker', async () => {
    const started = Date.now();
    const errors: string[] = [];
    for (let i = 0; i < 54; i++) {
      const phase = i < 17 ? 'online' : i < 34 ? 'offline' : 'flapping';
      if (phase === 'online') await reg.comeBack();
      if (phase === 'offline') await reg.goDown();
      const agent = spawnAgent(`r${i}`, 4);
      // One kill in six lands during start-up (queue open, first connect); the rest while it runs.
      const running = i % 6 === 5 ? pause(rand(0, 300)) : agent.started;
      await Promise.race([running, agent.exited]);
      const killAt = Date.now() + (i % 6 === 5 ? 0 : rand(0, 450));
      while (Date.now() < killAt) {
        if (phase === 'flapping') await (Math.random() < 0.5 ? reg.goDown() : reg.comeBack());
        await pause(Math.max(0, Math.min(killAt - Date.now(), rand(20, 150))));
      }
      agent.child.kill('SIGKILL');
      await agent.exited;
      errors.push(...agent.stderr);
    }
    await reg.comeBack();

    // What the agent committed: the queue's next seq, read after the last kill.
    const db = new Database(join(stateDir, 'queue.db'));
    const lastSeq = Number((db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: number }).value) - 1;
    const stream = String((db.prepare("SELECT value FROM meta WHERE key = 'stream'").get() as { value: string }).value);
    db.close();
    expect(lastSeq).toBeGreaterThan(200);

    const final = spawnAgent('final', 0);
    await until(() => (reg.streams.get(stream)?.upTo ?? 0) >= lastSeq, 20_000, 'every committed record acknowledged');
    {
      final.child.kill('SIGTERM');
      expect(await final.exited).toBe(0);
    }

    expect([...reg.streams.keys()]).toEqual([stream]);
    const records = reg.records(stream);
    // Exactly once and in order: seqs 1..lastSeq, first stored in increasing order, no conflicting resend.
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: lastSeq }, (_, k) => k + 1));
    expect(reg.conflicts).toBe(0);
    expect(reg.streams.get(stream)!.refused.size).toBe(0);
    // Every reading made in each run arrived: n runs 0..max without a hole.
    const byRun = new Map<string, number[]>();
    for (const r of records) {
      const { run, n } = r.data as { run: string; n: number };
      byRun.set(run, [...(byRun.get(run) ?? []), n]);
    }
    for (const [run, ns] of byRun) expect(ns, run).toEqual(ns.map((_, k) => k));
    expect(byRun.size).toBeGreaterThan(27); // most kills hit a running agent, not just its start-up
    expect(errors.join('')).not.toMatch(/"level":(50|60)/);
    // About 35 s on an idle 2-core machine; the bound only guards against a hang.
    expect(Date.now() - started).toBeLessThan(110_000);
  }, 120_000);
});
