/**
 * The agent's resident memory over an hour-equivalent of simulated driving (issue 6: under 80 MB
 * RSS and flat). The real agent (AgentApp, SQLite queue, MQTT uplink, the real OBD and GNSS
 * drivers on the simulated vehicle) runs in a child process with its sources sped up; this process
 * plays a minimal registry (aedes on 127.0.0.1, acknowledging every batch) and samples the child's
 * RSS as the records arrive.
 *
 *   npm run build && node dist/scripts/bench-agent-memory.js [hours=1] [intervalMs=25] [sim|synthetic]
 *
 * `synthetic` replaces the vehicle by two plain timers (same record rate, no serial drivers), to
 * tell the agent core's memory from the drivers'. With NODE_OPTIONS=--expose-gc each sample is
 * taken after a full GC (what is retained, not what is merely uncollected).
 *
 * An hour at 1 Hz is 3 600 `obd` + 3 600 `gnss` records (+ `status`); at 25 ms per reading that is
 * about 90 s of wall time. The report ends with the second half's range of RSS, heap and external
 * memory (flat means a narrow range) and how many distinct telemetry batch sizes were sent: the
 * simulated vehicle's changing values make hundreds, the synthetic readings a handful, which is
 * what once made `external` grow with `sim` only (mqtt-packet kept a buffer-pool slab per new
 * size; see agent/uplink/mqtt-packet-memory.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { AgentApp, type AgentDeps } from '../agent/app.js';
import { loadConfig } from '../agent/config.js';
import { GnssSource } from '../agent/gnss/gnss-source.js';
import { ObdSource } from '../agent/obd/obd-source.js';
import { createSimulatedVehicle } from '../agent/simulator/index.js';
import type { ReadingSink, ReadingSource } from '../agent/sources.js';
import { DEFAULT_SETTINGS, TelemetryBatchSchema } from '../protocol/messages.js';
import { deviceTopic } from '../protocol/topics.js';

const UNIT = 'be0c0ffee0000001';

/** A reading every `intervalMs`, shaped like the vehicle's. */
class TimerSource implements ReadingSource {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly kind: string,
    private intervalMs: number,
  ) {}
  async start(sink: ReadingSink): Promise<void> {
    this.timer = setInterval(() => sink({ kind: this.kind, data: { rpm: 812.5, speedKmh: 47, coolantTempC: 88, lat: 60.17, lon: 24.94 } }), this.intervalMs);
  }
  applySettings(): void {}
  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}

async function child(): Promise<void> {
  const intervalMs = Number(process.env.BENCH_INTERVAL_MS);
  const settings = { ...DEFAULT_SETTINGS, telemetryIntervalMs: intervalMs };
  const log = pino({ level: 'warn' }, pino.destination(2));
  let sources: ReadingSource[];
  let extra: Partial<AgentDeps> = {};
  if (process.env.BENCH_SOURCE === 'synthetic') {
    sources = ['obd', 'gnss'].map((kind) => new TimerSource(kind, intervalMs));
  } else {
    const sim = createSimulatedVehicle({ tickMs: intervalMs, gnssPeriodMs: intervalMs });
    sim.start();
    const obd = new ObdSource({ path: sim.obdPath, binding: sim.binding, settings, logger: log });
    const gnss = new GnssSource({ path: sim.gnssPath, binding: sim.binding, settings, logger: log });
    sources = [obd, gnss];
    extra = { vehicle: obd, timeHint: gnss };
  }
  const app = new AgentApp({ config: loadConfig(process.env), log, agentVersion: 'bench', sources, ...extra, statusIntervalMs: 60 * intervalMs });
  await app.start();
  // The held ownership (none here) or the defaults were applied at start; the bench wants speed.
  sources.forEach((src) => src.applySettings(settings));
  const gc = (globalThis as { gc?: () => void }).gc; // with --expose-gc: samples after a full GC
  setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external })}\n`);
  }, 500);
  process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
}

async function parent(): Promise<void> {
  const hours = Number(process.argv[2] ?? 1);
  const intervalMs = Number(process.argv[3] ?? 25);
  const source = process.argv[4] ?? 'sim';
  const target = Math.round(hours * 3600 * 2);
  const broker = await Aedes.createBroker();
  let received = 0;
  const lengths = new Set<number>();
  broker.subscribe(deviceTopic(UNIT, 'telemetry'), (packet, cb) => {
    lengths.add(packet.payload.length);
    const batch = TelemetryBatchSchema.parse(JSON.parse(packet.payload.toString()));
    const seqs = batch.records.map((r) => (r as { seq: number }).seq);
    received += batch.records.filter((r) => (r as { kind: string }).kind !== 'status').length;
    const upTo = Math.max(0, ...seqs);
    const ack = { stream: batch.stream, upTo, rejected: [] };
    broker.publish({ cmd: 'publish', topic: deviceTopic(UNIT, 'telemetry/ack'), payload: Buffer.from(JSON.stringify(ack)), qos: 1, retain: false, dup: false }, () => cb());
  }, () => {});
  const server = createServer((s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-agent-memory-'));
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child'], {
    env: { ...process.env, AGENT_MQTT_URL: `mqtt://127.0.0.1:${port}`, AGENT_UNIT_ID: UNIT, AGENT_SECRET: 'bench', AGENT_STATE_DIR: stateDir, BENCH_INTERVAL_MS: String(intervalMs), BENCH_SOURCE: source },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const samples: Sample[] = [];
  const t0 = Date.now();
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += String(d);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      samples.push({ t: Date.now() - t0, records: received, ...(JSON.parse(line) as Omit<Sample, 't' | 'records'>) });
    }
  });
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (received >= target) {
        clearInterval(check);
        resolve();
      }
    }, 200);
  });
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  report(samples, `${hours} hour-equivalent(s) of 1 Hz OBD + GNSS readings (${received} records, ${source} sources) at ${intervalMs} ms per reading`);
  console.log(`telemetry batches of ${lengths.size} distinct sizes (${[...lengths].filter((l) => l < 16_000).length} under 16 000 bytes)`);
  server.close();
  broker.close();
  rmSync(stateDir, { recursive: true, force: true });
}

interface Sample {
  t: number;
  records: number;
  rss: number;
  heapUsed: number;
  external: number;
}

function report(samples: Sample[], title: string): void {
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  console.log(`${title}, node ${process.version}, NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ''}`);
  console.log('progress  records  wall s  RSS MB  heap MB  external MB');
  for (let p = 0; p <= 10; p++) {
    const s = samples[Math.min(samples.length - 1, Math.floor((p / 10) * (samples.length - 1)))];
    if (s) console.log(`${String(p * 10).padStart(7)}%  ${String(s.records).padStart(7)}  ${(s.t / 1000).toFixed(1).padStart(6)}  ${mb(s.rss).padStart(6)}  ${mb(s.heapUsed).padStart(7)}  ${mb(s.external).padStart(11)}`);
  }
  const rss = samples.map((s) => s.rss);
  console.log(`RSS peak ${mb(Math.max(...rss))} MB`);
  const second = samples.slice(Math.floor(samples.length / 2));
  for (const key of ['rss', 'heapUsed', 'external'] as const) {
    const v = second.map((s) => s[key]);
    console.log(`${key.padEnd(8)} second half min ${mb(Math.min(...v))} / max ${mb(Math.max(...v))} MB`);
  }
}

if (process.argv[2] === 'child') await child();
else await parent();
