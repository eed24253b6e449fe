/**
 * bench-ingest: N simulated devices publish QoS 1 telemetry through the registry (validate,
 * attribute, group commit with synchronous=FULL, telemetry/ack, fan-out to one subscriber per tree
 * level) and, in the same run, the same load through a bare aedes relay with no hooks delivering to
 * the same number of subscribers. Reports messages/s, records/s, the ratio and p50/p99
 * publish-to-ack latency (registry: telemetry/ack; relay: PUBACK). The load runs in a worker
 * thread (scripts/bench-ingest-load.ts), so the broker keeps its own event loop; the broker
 * thread's CPU time per message is reported too (steadier than rates on a shared machine).
 *
 *   npm run build && node dist/scripts/bench-ingest.js [devices=20] [seconds=5] [window=16]
 *
 * Each side runs BENCH_ROUNDS (3) slices of `seconds`, interleaved; the table adds them up.
 */
import { Aedes } from 'aedes';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { startBroker } from '../cloud/mqtt/broker.js';
import { listenTcp } from '../cloud/mqtt/listeners.js';
import { startBenchFleet } from './bench-fleet.js';
import type { LoadResult, LoadSpec } from './bench-ingest-load.js';

const [devices = 20, seconds = 5, windowSize = 16] = process.argv.slice(2).map(Number);
/**
 * BENCH_ONLY=registry|relay runs one side (for profiling); BENCH_PER_MSG=1,50 picks the sizes;
 * BENCH_NAGLE=all|subscribers leaves Nagle's algorithm on in those clients (mqtt.js' default);
 * BENCH_SUB_QOS=0 has the subscribers ask for QoS 0 (default 1); see LoadSpec.
 */
const only = process.env.BENCH_ONLY;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const nagle = (process.env.BENCH_NAGLE ?? 'none') as LoadSpec['nagle'];
if (!['none', 'all', 'subscribers'].includes(nagle!)) throw new Error('BENCH_NAGLE must be none, all or subscribers');
const subscriberQos = Number(process.env.BENCH_SUB_QOS ?? 1) as 0 | 1;
if (subscriberQos !== 0 && subscriberQos !== 1) throw new Error('BENCH_SUB_QOS must be 0 or 1');
const sizes = (process.env.BENCH_PER_MSG ?? '1,50').split(',').map(Number);

/** CPU time (user + system, ms) of the main thread, where the broker runs (Linux; else NaN). */
function mainThreadCpuMs(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const [utime, stime] = f.slice(f.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number);
    return ((utime! + stime!) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** The rest of the process (the load worker, SQLite's and libuv's threads) is total minus broker. */
const withCpu = (m: LoadResult, brokerCpuMs: number, all: NodeJS.CpuUsage) => ({ ...m, brokerCpuMs, otherCpuMs: (all.user + all.system) / 1000 - brokerCpuMs });

/** Runs the load in a worker; `brokerCpuMs` is the main thread's CPU time meanwhile. */
function load(spec: LoadSpec): Promise<LoadResult & { brokerCpuMs: number; otherCpuMs: number }> {
  const cpu0 = mainThreadCpuMs();
  const all0 = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./bench-ingest-load.js', import.meta.url), { workerData: spec });
    w.once('message', (m: LoadResult & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(withCpu(m, mainThreadCpuMs() - cpu0, process.cpuUsage(all0)))));
    w.once('error', reject);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function registryRun(perMsg: number, secs = seconds): Promise<Run> {
  const fleet = await startBenchFleet(devices, 'ingest');
  const { app, config, log, root } = fleet;
  const broker = await startBroker({ app, config, log, host: '127.0.0.1' });
  const devs: LoadSpec['devices'] = fleet.devices.map(({ unitId, secret, epoch }) => ({ unitId, secret, epoch }));
  const [r0, r1, r2] = fleet.levels;
  const levels = [[r0], [r0, r1], [r0, r1, r2]];
  const r = await load({
    url: `mqtt://127.0.0.1:${broker.mqttPort}`, mode: 'registry', nagle, subscriberQos, devices: devs, perMsg, seconds: secs, window: windowSize,
    subscribers: levels.map((path, i) => ({ clientId: `u-bench-${i}`, username: 'token', password: root, filter: `v1/accounts/${path.join('/')}/#` })),
  });
  await broker.close();
  await fleet.close();
  return r;
}

async function relayRun(perMsg: number, secs = seconds): Promise<Run> {
  const aedes = await Aedes.createBroker();
  const tcp = await listenTcp(aedes, { host: '127.0.0.1', port: 0 });
  const r = await load({
    url: `mqtt://127.0.0.1:${tcp.port}`, mode: 'relay', nagle, subscriberQos, perMsg, seconds: secs, window: windowSize,
    devices: Array.from({ length: devices }, (_, i) => ({ unitId: String(i), secret: '', epoch: 1 })),
    subscribers: [0, 1, 2].map((i) => ({ clientId: `sub-${i}`, filter: 'bench/#' })),
  });
  await tcp.close();
  await new Promise<void>((res) => aedes.close(() => res()));
  return r;
}

type Run = LoadResult & { brokerCpuMs: number; otherCpuMs: number };

/** Several slices of one side as one run: counts, times and CPU added, latencies pooled. */
const merge = (runs: Run[]): Run => {
  const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    messages: sum((r) => r.messages),
    records: sum((r) => r.records),
    seconds: sum((r) => r.seconds),
    latencies: runs.flatMap((r) => r.latencies),
    delivered: sum((r) => r.delivered),
    brokerCpuMs: sum((r) => r.brokerCpuMs),
    otherCpuMs: sum((r) => r.otherCpuMs),
  };
};

const rate = (r: Run) => r.messages / r.seconds;

const row = (name: string, r: Run) =>
  `| ${name} | ${Math.round(rate(r))} | ${Math.round(r.records / r.seconds)} | ${pct(r.latencies, 50).toFixed(1)} | ${pct(r.latencies, 99).toFixed(1)} | ${r.delivered} | ${((r.brokerCpuMs * 1000) / r.messages).toFixed(0)} | ${((r.otherCpuMs * 1000) / r.messages).toFixed(0)} |`;

async function main() {
  console.log(`bench-ingest: ${devices} devices, ${windowSize} batches in flight each, ${rounds} rounds of ${seconds} s per side, Nagle left on in: ${nagle} (other clients TCP_NODELAY), subscribers at QoS ${subscriberQos}, node ${process.version}`);
  console.log('| run | messages/s | records/s | p50 ms | p99 ms | fan-out deliveries | broker CPU us/msg | load+rest CPU us/msg |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const perMsg of sizes) {
    const relays: Run[] = [];
    const registries: Run[] = [];
    // A short slice of each side first, not counted: the JIT warms up both code paths alike.
    if (only !== 'registry') await relayRun(perMsg, 1);
    if (only !== 'relay') await registryRun(perMsg, 1);
    // Rounds alternate the order (relay, registry, registry, relay, ...), so a machine whose load
    // drifts during the run weighs on both sides alike.
    for (let i = 0; i < rounds; i++) {
      for (const side of i % 2 === 0 ? ['relay', 'registry'] : ['registry', 'relay']) {
        if (only && only !== side) continue;
        if (side === 'relay') relays.push(await relayRun(perMsg));
        else registries.push(await registryRun(perMsg));
      }
    }
    const relay = relays.length > 0 ? merge(relays) : undefined;
    const registry = registries.length > 0 ? merge(registries) : undefined;
    if (relay) console.log(row(`bare aedes relay (guarded), ${perMsg} rec/msg`, relay));
    if (registry) console.log(row(`registry, ${perMsg} rec/msg`, registry));
    if (!relay || !registry) continue;
    const each = registries.map((r, i) => (rate(r) / rate(relays[i]!)).toFixed(2)).join(', ');
    console.log(`| ratio registry / relay, ${perMsg} rec/msg | ${(rate(registry) / rate(relay)).toFixed(2)} (rounds: ${each}) | | | | | | |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
