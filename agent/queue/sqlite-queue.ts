/**
 * The durable queue on SQLite (better-sqlite3): WAL journal with `synchronous=FULL`, so every
 * committed append is fsynced to the WAL before `append` returns and survives a power cut
 * (SQLite docs, "PRAGMA synchronous": FULL in WAL mode syncs the WAL on every commit).
 *
 * The stream id and the seq counter live in the same database, in the same transaction as the
 * records: they cannot diverge, and a wiped queue starts a new stream rather than reusing seqs.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MAX_RECORD_BYTES, type QueueHealth, type SeqRange, type TelemetryRecord } from '../../protocol/messages.js';
import { fsyncDir, nodeFs } from '../state/atomic-write.js';
import { createStreamId } from '../state/ownership-state.js';
import type { DurableQueue, QueueBatch, QueueInput, QueueLimits, Rejection } from './queue.js';

/** Options of a {@link SqliteQueue}. */
export interface SqliteQueueOptions {
  /** The database file, e.g. `${AGENT_STATE_DIR}/queue.db`. */
  path: string;
  limits: QueueLimits;
  /** Creates the stream id of a new queue. Default a random one (createStreamId). */
  newStream?: () => string;
  /** Rejected records kept aside for diagnosis; older ones are forgotten. Default 10 000. */
  maxRejectedKept?: number;
  /** Caps the database's pages (SQLite `max_page_count`), as a small disk would. Tests only. */
  maxPageCount?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value ANY) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS dropped (from_seq INTEGER PRIMARY KEY, to_seq INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, reason TEXT NOT NULL, body TEXT NOT NULL) STRICT;
`;

type Stmt = Database.Statement<unknown[], unknown>;

export class SqliteQueue implements DurableQueue {
  private db: Database.Database | undefined;
  private st: Record<string, Stmt> = {};
  private streamId = '';
  private nextSeq = 1;
  private droppedTotal = 0;
  private count = 0;
  private bytes = 0;

  constructor(private readonly options: SqliteQueueOptions) {}

  get stream(): string {
    return this.streamId;
  }

  open(): void {
    mkdirSync(dirname(this.options.path), { recursive: true });
    const db = new Database(this.options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    if (this.options.maxPageCount) db.pragma(`max_page_count = ${Math.floor(this.options.maxPageCount)}`);
    this.db = db;
    this.prepare(db);
    const meta = (key: string) => (this.st.getMeta!.get(key) as { value: unknown } | undefined)?.value;
    const stream = meta('stream');
    if (typeof stream === 'string') {
      this.streamId = stream;
      this.nextSeq = Number(meta('next_seq'));
      this.droppedTotal = Number(meta('dropped_total'));
    } else {
      this.streamId = (this.options.newStream ?? createStreamId)();
      db.transaction(() => {
        this.st.setMeta!.run('stream', this.streamId);
        this.st.setMeta!.run('next_seq', 1);
        this.st.setMeta!.run('dropped_total', 0);
      })();
      // A new file's directory entry must be durable too, or a power cut loses the whole queue.
      fsyncDir(nodeFs, dirname(this.options.path));
    }
    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records').get() as { n: number; b: number };
    this.count = totals.n;
    this.bytes = totals.b;
  }

  private prepare(db: Database.Database): void {
    const sql: Record<string, string> = {
      getMeta: 'SELECT value FROM meta WHERE key = ?',
      setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      insert: 'INSERT INTO records (seq, ts, bytes, body) VALUES (?, ?, ?, ?)',
      rowBytes: 'SELECT bytes FROM records WHERE seq = ?',
      oldest: 'SELECT seq, bytes FROM records ORDER BY seq LIMIT 1',
      deleteOne: 'DELETE FROM records WHERE seq = ?',
      batch: 'SELECT seq, bytes, body FROM records ORDER BY seq LIMIT ?',
      lastRange: 'SELECT from_seq, to_seq FROM dropped ORDER BY from_seq DESC LIMIT 1',
      insertRange: 'INSERT INTO dropped (from_seq, to_seq) VALUES (?, ?)',
      extendRange: 'UPDATE dropped SET to_seq = ? WHERE from_seq = ?',
      ranges: 'SELECT from_seq AS "from", to_seq AS "to" FROM dropped ORDER BY from_seq LIMIT ?',
      moveAside: 'INSERT OR REPLACE INTO rejected (seq, reason, body) SELECT seq, ?, body FROM records WHERE seq = ?',
      trimRejected: 'DELETE FROM rejected WHERE seq <= (SELECT seq FROM rejected ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ackTotals: 'SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE seq <= ?',
      ackDelete: 'DELETE FROM records WHERE seq <= ?',
      ackRanges: 'DELETE FROM dropped WHERE to_seq <= ?',
      ackSplit: 'UPDATE dropped SET from_seq = ? WHERE from_seq <= ? AND to_seq > ?',
      oldestTs: 'SELECT ts FROM records ORDER BY seq LIMIT 1',
      rejectedList: 'SELECT reason, body FROM rejected ORDER BY seq LIMIT ?',
    };
    this.st = Object.fromEntries(Object.entries(sql).map(([k, v]) => [k, db.prepare(v)]));
  }

  append(input: QueueInput): number {
    const seq = this.nextSeq;
    const record: TelemetryRecord = { seq, epoch: input.epoch, ts: input.ts, kind: input.kind, data: input.data };
    const body = JSON.stringify(record);
    const size = Buffer.byteLength(body);
    if (size > MAX_RECORD_BYTES) throw new RangeError(`record of ${size} bytes exceeds ${MAX_RECORD_BYTES}`);
    try {
      this.commitAppend(seq, input.ts, size, body, this.options.limits.maxRecords);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_FULL') throw err;
      // The disk filled up before the configured bound: apply the policy to a tenth of the queue
      // (declared like any other drop), then try once more.
      this.commitAppend(seq, input.ts, size, body, Math.floor(this.count * 0.9));
    }
    return seq;
  }

  /** One transaction: make room by the policy, store (or declare dropped), advance the seq. */
  private commitAppend(seq: number, ts: number, size: number, body: string, maxRecords: number): void {
    const { maxBytes, policy } = this.options.limits;
    let count = this.count;
    let bytes = this.bytes;
    let dropped = this.droppedTotal;
    const over = () => count + 1 > maxRecords || bytes + size > maxBytes;
    this.requireDb().transaction(() => {
      if (over() && policy === 'drop-newest') {
        this.declareDropped(seq);
        dropped += 1;
      } else {
        // Oldest first, before the insert, so the freed pages are reused on a full disk.
        while (count > 0 && over()) {
          const old = this.st.oldest!.get() as { seq: number; bytes: number };
          this.st.deleteOne!.run(old.seq);
          this.declareDropped(old.seq);
          count -= 1;
          bytes -= old.bytes;
          dropped += 1;
        }
        this.st.insert!.run(seq, ts, size, body);
        count += 1;
        bytes += size;
      }
      this.st.setMeta!.run('next_seq', seq + 1);
      if (dropped !== this.droppedTotal) this.st.setMeta!.run('dropped_total', dropped);
    })();
    // Only after the commit: a failed transaction leaves the in-memory view unchanged.
    this.nextSeq = seq + 1;
    this.count = count;
    this.bytes = bytes;
    this.droppedTotal = dropped;
  }

  /** Seqs are discarded in increasing order, so a new one extends the last range or starts one. */
  private declareDropped(seq: number): void {
    const last = this.st.lastRange!.get() as { from_seq: number; to_seq: number } | undefined;
    if (last && last.to_seq + 1 === seq) this.st.extendRange!.run(seq, last.from_seq);
    else this.st.insertRange!.run(seq, seq);
  }

  peekBatch(maxRecords: number, maxBytes: number): QueueBatch | undefined {
    this.requireDb();
    const rows = this.st.batch!.all(maxRecords) as Array<{ seq: number; bytes: number; body: string }>;
    const pending = this.droppedRanges();
    // Envelope: {"stream":"…","records":[…],"dropped":[…]} plus one comma between records.
    let size = JSON.stringify({ stream: this.streamId, records: [], dropped: pending }).length;
    const records: TelemetryRecord[] = [];
    for (const row of rows) {
      const add = row.bytes + (records.length > 0 ? 1 : 0);
      if (records.length > 0 && size + add > maxBytes) break;
      size += add;
      records.push(JSON.parse(row.body) as TelemetryRecord);
    }
    const lastRecord = records[records.length - 1]?.seq;
    // Declare ranges up to the batch's end; later ones (drop-newest) wait for their batch.
    const dropped = lastRecord === undefined ? pending : pending.filter((r) => r.from <= lastRecord + 1);
    if (records.length === 0 && dropped.length === 0) return undefined;
    const lastSeq = Math.max(lastRecord ?? 0, ...dropped.map((r) => r.to));
    return { stream: this.streamId, records, dropped, lastSeq };
  }

  ack(upTo: number, rejected: readonly Rejection[]): void {
    const db = this.requireDb();
    let count = this.count;
    let bytes = this.bytes;
    db.transaction(() => {
      for (const r of rejected) this.st.moveAside!.run(r.reason, r.seq);
      if (rejected.length > 0) this.st.trimRejected!.run(this.options.maxRejectedKept ?? 10_000);
      // A refusal beyond upTo (unusual, but the registry said so) is final too.
      for (const r of rejected) {
        const row = r.seq > upTo ? (this.st.rowBytes!.get(r.seq) as { bytes: number } | undefined) : undefined;
        if (!row) continue;
        this.st.deleteOne!.run(r.seq);
        count -= 1;
        bytes -= row.bytes;
      }
      const gone = this.st.ackTotals!.get(upTo) as { n: number; b: number };
      this.st.ackDelete!.run(upTo);
      count -= gone.n;
      bytes -= gone.b;
      this.st.ackRanges!.run(upTo);
      this.st.ackSplit!.run(upTo + 1, upTo, upTo);
    })();
    this.count = count;
    this.bytes = bytes;
  }

  health(): QueueHealth {
    this.requireDb();
    const oldest = this.st.oldestTs!.get() as { ts: number } | undefined;
    return { depth: this.count, oldestTs: oldest?.ts ?? null, dropped: this.droppedTotal };
  }

  droppedRanges(): SeqRange[] {
    this.requireDb();
    return this.st.ranges!.all(1000) as SeqRange[];
  }

  rejected(limit = 100): Array<TelemetryRecord & { reason: string }> {
    this.requireDb();
    const rows = this.st.rejectedList!.all(limit) as Array<{ reason: string; body: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as TelemetryRecord), reason: r.reason }));
  }

  /** For tests and diagnosis: a PRAGMA's value (e.g. `synchronous`: 2 is FULL). */
  pragma(name: string): unknown {
    return this.requireDb().pragma(name, { simple: true });
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new Error('queue is not open');
    return this.db;
  }
}
