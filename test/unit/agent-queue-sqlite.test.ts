import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteQueue } from '../../agent/queue/sqlite-queue.js';
import { queueContract } from '../helpers/queue-contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'agent-queue-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

queueContract('SqliteQueue', (dir, limits) => new SqliteQueue({ path: join(dir, 'queue.db'), limits }), tempDir);

describe('SqliteQueue durability settings', () => {
  it('runs in WAL mode with synchronous=FULL, so every commit is fsynced before append returns', () => {
    const q = new SqliteQueue({ path: join(tempDir(), 'queue.db'), limits: { maxBytes: 1e6, maxRecords: 100, policy: 'drop-oldest' } });
    q.open();
    expect(q.pragma('journal_mode')).toBe('wal');
    expect(q.pragma('synchronous')).toBe(2); // 2 = FULL (SQLite docs, PRAGMA synchronous)
    q.close();
  });
});

describe('SqliteQueue on a full disk', () => {
  it('drops the oldest tenth, declares it, and keeps every seq accounted for', () => {
    // 40 pages of 4 KiB stand in for an SD card that fills up long before the configured bound.
    const q = new SqliteQueue({ path: join(tempDir(), 'queue.db'), limits: { maxBytes: 1e9, maxRecords: 1e9, policy: 'drop-oldest' }, maxPageCount: 40 });
    q.open();
    const seqs: number[] = [];
    for (let i = 0; i < 3000; i++) seqs.push(q.append({ kind: 'obd', data: { rpm: 800 + i, note: 'x'.repeat(60) }, ts: 1_700_000_000_000 + i, epoch: 1 }));
    expect(seqs).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    const { depth, dropped } = q.health();
    expect(dropped).toBeGreaterThan(0);
    expect(depth + dropped).toBe(3000); // stored or declared dropped: nothing silent
    const declared = q.droppedRanges().reduce((n, r) => n + r.to - r.from + 1, 0);
    expect(declared).toBe(dropped);
    const batch = q.peekBatch(500, 256 * 1024)!;
    expect(batch.records[0]!.seq).toBe(dropped + 1);
    expect(batch.dropped).toEqual([{ from: 1, to: dropped }]);
    q.close();
  });
});

