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
