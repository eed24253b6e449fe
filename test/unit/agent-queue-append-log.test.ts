import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppendLogQueue } from '../../agent/queue/append-log-queue.js';
import { queueContract } from '../helpers/queue-contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'agent-append-log-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

queueContract('AppendLogQueue', (dir, limits) => new AppendLogQueue({ dir: join(dir, 'log'), limits, compactAfterBytes: 256 }), tempDir);

describe('AppendLogQueue recovery', () => {
  const limits = { maxBytes: 1e6, maxRecords: 1e6, policy: 'drop-oldest' as const };
  const reading = (i: number) => ({ kind: 'obd', data: { i }, ts: 1_700_000_000_000 + i, epoch: 0 });

  it('cuts off a torn last line (a power cut mid-append) and reuses no acknowledged seq', () => {
    const dir = join(tempDir(), 'log');
    const q = new AppendLogQueue({ dir, limits });
    q.open();
    for (let i = 0; i < 5; i++) q.append(reading(i));
    q.close();
    appendFileSync(join(dir, 'records.log'), '{"seq":6,"epoch":0,"ts":17');
    const again = new AppendLogQueue({ dir, limits });
    again.open();
    expect(again.peekBatch(500, 1e6)!.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(again.append(reading(6))).toBe(6);
    again.close();
  });

  it('keeps counting seqs after the log was compacted to nothing', () => {
    const dir = join(tempDir(), 'log');
    const q = new AppendLogQueue({ dir, limits, compactAfterBytes: 1 });
    q.open();
    for (let i = 0; i < 5; i++) q.append(reading(i));
    q.ack(5, []);
    q.close();
    const again = new AppendLogQueue({ dir, limits });
    again.open();
    expect(again.health().depth).toBe(0);
    expect(again.append(reading(6))).toBe(6);
    again.close();
  });
});
