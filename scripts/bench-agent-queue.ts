/**
 * Benchmarks the agent's durable queues (SqliteQueue, used; AppendLogQueue, the alternative)
 * against the floor of durability: a raw loop of `fs.appendFileSync` + `fs.fsyncSync` per record,
 * over the same records, in the same run and on the same disk. Prints records/s and the ratios
 * (queue / raw).
 *
 *   npm run build && node dist/scripts/bench-agent-queue.js [records=2000] [rounds=5] [dir=os.tmpdir()]
 *
 * Rounds alternate raw and queue so a busy machine disturbs both alike; medians are printed.
 *
 * - enqueue: one durable append per record (what the agent does per reading).
 * - flush: peek a batch (500 records / 256 KiB, as sent), acknowledge it (delete), until empty.
 *   The raw loop has no equivalent of deleting acknowledged records; its append rate is the
 *   baseline for both ratios, as the issue asks.
 */
import { appendFileSync, closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BATCH_BYTES, MAX_RECORDS_PER_BATCH } from '../protocol/messages.js';
import type { DurableQueue, QueueInput } from '../agent/queue/queue.js';
import { AppendLogQueue } from '../agent/queue/append-log-queue.js';
import { SqliteQueue } from '../agent/queue/sqlite-queue.js';

const count = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 5);
const base = mkdtempSync(join(process.argv[4] ?? tmpdir(), 'bench-agent-queue-'));

/** A realistic OBD reading (about 200 bytes of JSON). */
function reading(i: number): QueueInput {
  return {
    kind: 'obd',
    ts: 1_764_115_200_000 + i * 1000,
    epoch: 3,
    data: { rpm: 800 + (i % 3000), speedKmh: i % 130, coolantC: 88, loadPct: 31.4, throttlePct: 12.2, fuelPct: 64.7, moduleV: 14.1, batteryV: 14.2 },
  };
}

function perSecond(n: number, ms: number): number {
  return Math.round((n * 1000) / ms);
}

function rawAppendFsync(records: QueueInput[], round: number): number {
  const path = join(base, `raw-${round}.log`);
  const fd = openSync(path, 'a');
  const t = performance.now();
  records.forEach((r, i) => {
    appendFileSync(fd, `${JSON.stringify({ seq: i + 1, ...r })}\n`);
    fsyncSync(fd);
  });
  const ms = performance.now() - t;
  closeSync(fd);
  return perSecond(records.length, ms);
}

function queueRates(queue: DurableQueue, records: QueueInput[]): { enqueue: number; flush: number } {
  queue.open();
  let t = performance.now();
  for (const r of records) queue.append(r);
  const enqueue = perSecond(records.length, performance.now() - t);
  t = performance.now();
  let sent = 0;
  for (let b = queue.peekBatch(MAX_RECORDS_PER_BATCH, MAX_BATCH_BYTES); b; b = queue.peekBatch(MAX_RECORDS_PER_BATCH, MAX_BATCH_BYTES)) {
    JSON.stringify({ stream: b.stream, records: b.records }); // the publish payload is built too
    queue.ack(b.lastSeq, []);
    sent += b.records.length;
  }
  const flush = perSecond(sent, performance.now() - t);
  queue.close();
  return { enqueue, flush };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const records = Array.from({ length: count }, (_, i) => reading(i));
const limits = { maxBytes: 1e9, maxRecords: 1e7, policy: 'drop-oldest' as const };
try {
  const raw: number[] = [];
  const impls = {
    sqlite: (round: number): DurableQueue => new SqliteQueue({ path: join(base, `q-${round}.db`), limits }),
    'append-log': (round: number): DurableQueue => new AppendLogQueue({ dir: join(base, `log-${round}`), limits }),
  };
  const rates = Object.fromEntries(Object.keys(impls).map((k) => [k, { enqueue: [] as number[], flush: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    raw.push(rawAppendFsync(records, round));
    for (const [name, make] of Object.entries(impls)) {
      const q = queueRates(make(round), records);
      rates[name]!.enqueue.push(q.enqueue);
      rates[name]!.flush.push(q.flush);
    }
  }
  const r = median(raw);
  console.log(`records: ${count} x ${rounds} rounds, dir: ${base}, node ${process.version}`);
  console.log(`raw appendFile+fsync:  ${r} records/s (rounds: ${raw.join(', ')})`);
  for (const [name, { enqueue, flush }] of Object.entries(rates)) {
    console.log(`${`${name} enqueue:`.padEnd(22)} ${median(enqueue)} records/s, ratio ${(median(enqueue) / r).toFixed(2)} (rounds: ${enqueue.join(', ')})`);
    console.log(`${`${name} flush:`.padEnd(22)} ${median(flush)} records/s, ratio ${(median(flush) / r).toFixed(2)} (rounds: ${flush.join(', ')})`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
