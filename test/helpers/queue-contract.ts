/**
 * One contract suite for every DurableQueue implementation (in the manner of MQTT.js
 * test/abstract_store.js): each implementation's test file calls `queueContract(name, factory)`.
 */
import { describe, expect, it } from 'vitest';
import { TelemetryBatchSchema, TelemetryRecordSchema } from '../../protocol/messages.js';
import type { DurableQueue, QueueLimits } from '../../agent/queue/queue.js';

/** Opens a queue over `dir` (the same dir twice means the same on-disk queue). */
export type QueueFactory = (dir: string, limits: QueueLimits) => DurableQueue;

const roomy: QueueLimits = { maxBytes: 64 * 1024 * 1024, maxRecords: 1_000_000, policy: 'drop-oldest' };
const reading = (i: number) => ({ kind: 'obd', data: { rpm: 800 + i }, ts: 1_700_000_000_000 + i * 1000, epoch: 1 });

export function queueContract(name: string, factory: QueueFactory, tempDir: () => string): void {
  const opened = (limits = roomy, dir = tempDir()) => {
    const q = factory(dir, limits);
    q.open();
    return { q, dir };
  };

  describe(`${name}: DurableQueue contract`, () => {
    it('gives seqs from 1, growing by exactly 1, and batches them oldest first', () => {
      const { q } = opened();
      const seqs = Array.from({ length: 20 }, (_, i) => q.append(reading(i)));
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const batch = q.peekBatch(500, 256 * 1024)!;
      expect(batch.stream).toBe(q.stream);
      expect(batch.records.map((r) => r.seq)).toEqual(seqs);
      expect(batch.records[3]).toEqual({ seq: 4, ...reading(3) });
      expect(batch.dropped).toEqual([]);
      expect(batch.lastSeq).toBe(20);
      for (const r of batch.records) expect(TelemetryRecordSchema.parse(r)).toEqual(r);
      q.close();
    });

    it('is empty when nothing is pending, and peeking does not consume', () => {
      const { q } = opened();
      expect(q.peekBatch(10, 10_000)).toBeUndefined();
      q.append(reading(1));
      expect(q.peekBatch(10, 10_000)!.records).toHaveLength(1);
      expect(q.peekBatch(10, 10_000)!.records).toHaveLength(1);
      q.close();
    });

    it('respects the record and byte limits of a batch (at least one record)', () => {
      const { q } = opened();
      for (let i = 0; i < 50; i++) q.append(reading(i));
      expect(q.peekBatch(7, 1_000_000)!.records).toHaveLength(7);
      const small = q.peekBatch(500, 400)!;
      expect(Buffer.byteLength(JSON.stringify({ stream: small.stream, records: small.records, dropped: [] }))).toBeLessThanOrEqual(400);
      expect(small.records.length).toBeGreaterThan(1);
      expect(q.peekBatch(500, 10)!.records).toHaveLength(1);
      q.close();
    });

    it('ack deletes up to upTo and moves rejected records aside with the reason', () => {
      const { q } = opened();
      for (let i = 0; i < 10; i++) q.append(reading(i));
      q.ack(4, [{ seq: 2, reason: 'schema' }]);
      expect(q.peekBatch(500, 1e6)!.records.map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(q.health()).toEqual({ depth: 6, oldestTs: reading(4).ts, dropped: 0 });
      expect(q.rejected()).toEqual([{ seq: 2, ...reading(1), reason: 'schema' }]);
      q.ack(4, []); // a repeated ack changes nothing
      q.ack(10, []);
      expect(q.peekBatch(500, 1e6)).toBeUndefined();
      expect(q.health()).toEqual({ depth: 0, oldestTs: null, dropped: 0 });
      expect(q.append(reading(11))).toBe(11); // seqs never restart
      q.close();
    });

    it('keeps everything across close and reopen: records, stream, next seq, dropped', () => {
      const { q, dir } = opened({ ...roomy, maxRecords: 5 });
      for (let i = 0; i < 8; i++) q.append(reading(i));
      q.ack(4, [{ seq: 4, reason: 'future' }]);
      const before = { stream: q.stream, batch: q.peekBatch(500, 1e6), health: q.health(), rejected: q.rejected() };
      q.close();
      const again = factory(dir, { ...roomy, maxRecords: 5 });
      again.open();
      expect({ stream: again.stream, batch: again.peekBatch(500, 1e6), health: again.health(), rejected: again.rejected() }).toEqual(before);
      expect(again.append(reading(9))).toBe(9);
      again.close();
    });

    it('a new queue directory starts a new stream', () => {
      const a = opened().q;
      const b = opened().q;
      expect(a.stream).not.toBe(b.stream);
      a.close();
      b.close();
    });

    it('drop-oldest: bounded by records, discarded seqs declared in the next batch and counted', () => {
      const { q } = opened({ ...roomy, maxRecords: 3 });
      for (let i = 0; i < 6; i++) q.append(reading(i));
      const batch = q.peekBatch(500, 1e6)!;
      expect(batch.records.map((r) => r.seq)).toEqual([4, 5, 6]);
      expect(batch.dropped).toEqual([{ from: 1, to: 3 }]);
      expect(TelemetryBatchSchema.safeParse(batch).success).toBe(true);
      expect(q.health()).toMatchObject({ depth: 3, dropped: 3 });
      q.ack(6, [1, 2, 3].map((seq) => ({ seq, reason: 'dropped-on-device' })));
      expect(q.droppedRanges()).toEqual([]);
      expect(q.peekBatch(500, 1e6)).toBeUndefined();
      expect(q.health()).toEqual({ depth: 0, oldestTs: null, dropped: 3 });
      q.close();
    });

    it('drop-oldest: bounded by bytes, ranges split by an ack in their middle', () => {
      const size = JSON.stringify({ seq: 10, ...reading(10) }).length;
      const { q } = opened({ ...roomy, maxBytes: size * 4 + 2 });
      for (let i = 0; i < 10; i++) q.append(reading(i));
      expect(q.health().depth).toBe(4);
      expect(q.droppedRanges()).toEqual([{ from: 1, to: 6 }]);
      q.ack(3, []);
      expect(q.droppedRanges()).toEqual([{ from: 4, to: 6 }]);
      q.close();
    });

    it('drop-newest: keeps the oldest, declares the discarded new seqs', () => {
      const { q } = opened({ ...roomy, maxRecords: 2, policy: 'drop-newest' });
      const seqs = [0, 1, 2, 3].map((i) => q.append(reading(i)));
      expect(seqs).toEqual([1, 2, 3, 4]);
      const batch = q.peekBatch(500, 1e6)!;
      expect(batch.records.map((r) => r.seq)).toEqual([1, 2]);
      expect(batch.dropped).toEqual([{ from: 3, to: 4 }]);
      expect(batch.lastSeq).toBe(4);
      expect(q.health().dropped).toBe(2);
      q.close();
    });

    it('refuses a record too large to ever send, without consuming a seq', () => {
      const { q } = opened();
      expect(() => q.append({ ...reading(1), data: { blob: 'x'.repeat(20_000) } })).toThrow(RangeError);
      expect(q.append(reading(1))).toBe(1);
      q.close();
    });
  });
}
