/**
 * Benchmark of telemetry reads after a move (issue 5, `GET /v1/devices/:id/telemetry`): one device
 * holds `old` records attributed to its first owner A, then `recent` attributed to B, its owner now.
 * Each case is the store query behind one request, timed against a reference in the same run: the
 * same page size read by a caller whose records come first in the device's history (A, oldest
 * first), which skips nothing.
 *
 *   npm run build && node dist/scripts/bench-telemetry-read.js [old=1000000] [recent=1000] [repeats=200]
 *
 * Cases: B's first page oldest first (A's records come before it in time), A's first page newest
 * first (B's come after), the root's newest page (both owners merged), and the question asked for a
 * caller who does not see the device (does it hold records attributed to you? else 404).
 * Run on demand, not in CI. Results go to docs/benchmarks.md by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../cloud/store/db.js';
import { TelemetryStore } from '../cloud/store/telemetry-store.js';

const OLD = Number(process.argv[2] ?? 1_000_000);
const RECENT = Number(process.argv[3] ?? 1_000);
const REPEATS = Number(process.argv[4] ?? 200);
const PAGE = 100;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ms of `fn` over REPEATS calls, after 5 uncounted ones. */
function time(fn: () => unknown): number {
  for (let i = 0; i < 5; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-telemetry-read-'));
  try {
    const db = openDb(dir);
    const store = new TelemetryStore(db);
    const device = store.deviceKey('device-1');
    const stream = store.stream(device, 'stream-bench-1');
    const a = store.ownerKey('a', 'r/a/');
    const b = store.ownerKey('b', 'r/b/');
    const insert = (from: number, to: number, owner: number) =>
      db.transaction(() => {
        for (let seq = from; seq <= to; seq++) store.insertKeyed(stream, device, seq, 1, 1_700_000_000_000 + seq * 1000, 'obd', '{"rpm":900}', owner, seq);
      })();
    const t0 = performance.now();
    for (let from = 1; from <= OLD; from += 100_000) {
      insert(from, Math.min(OLD, from + 99_999), a);
      process.stderr.write(`\rfilling: ${Math.min(OLD, from + 99_999)} of ${OLD + RECENT} records`);
    }
    insert(OLD + 1, OLD + RECENT, b);
    process.stderr.write(`\rfilled ${OLD + RECENT} records in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const page = (prefix: string, desc: boolean) => () =>
      store.read({ deviceId: 'device-1', prefix, from: 0, to: Number.MAX_SAFE_INTEGER, after: null, limit: PAGE + 1, desc });
    const reference = time(page('r/a/', false));
    const cases: [string, number][] = [
      ["new owner's first page, oldest first", time(page('r/b/', false))],
      ["old owner's first page, newest first", time(page('r/a/', true))],
      ["root's first page, newest first (two owners merged)", time(page('r/', true))],
      ['caller who does not see the device: any records of it? (404)', time(() => store.anyAttributed('device-1', 'r/c/'))],
    ];
    console.log(`\n${OLD} records of the old owner, ${RECENT} of the new; pages of ${PAGE}; median of ${REPEATS}; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`);
    console.log(`reference: old owner's first page, oldest first: ${reference.toFixed(3)} ms`);
    console.log('| case | median ms | ratio to the reference |\n| --- | --- | --- |');
    for (const [name, ms] of cases) console.log(`| ${name} | ${ms.toFixed(3)} | ${(ms / reference).toFixed(2)} |`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
