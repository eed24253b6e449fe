/**
 * The durable queue as an fsynced append log, measured against SqliteQueue (scripts/bench-agent-queue.ts);
 * the agent uses SqliteQueue (docs/decisions.md). Kept because it passes the same contract suite
 * and shows what the simplest durable design costs. Its limits: an in-memory index of every live
 * record (about 100 bytes each: too much for a full 1 000 000-record queue on an 80 MB budget),
 * compaction rewrites the whole live log, and a full disk is an error, not a declared drop.
 *
 * Files in `dir`: `records.log` (one record's JSON per line, each append fsynced), `meta.json`
 * (stream, acknowledged and dropped seqs, next seq; replaced atomically), `rejected.log`.
 * A power cut in the middle of an append leaves a torn last line; it was never acknowledged to the
 * caller, so open() cuts it off. A seq is only ever made durable together with its record or its
 * drop declaration, so no undeclared gap can appear.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { MAX_RECORD_BYTES, type QueueHealth, type SeqRange, type TelemetryRecord } from '../../protocol/messages.js';
import { atomicWriteFile, fsyncDir, nodeFs } from '../state/atomic-write.js';
import { createStreamId } from '../state/ownership-state.js';
import { addToRanges, type DurableQueue, type QueueBatch, type QueueInput, type QueueLimits, type Rejection } from './queue.js';

/** Options of an {@link AppendLogQueue}. */
export interface AppendLogQueueOptions {
  /** Directory of the log files. */
  dir: string;
  limits: QueueLimits;
  /** Rewrite the log once this many acknowledged bytes lead it. Default 1 MiB. */
  compactAfterBytes?: number;
}

interface Meta {
  stream: string;
  /** Every seq up to this is acknowledged or dropped: not live. */
  floor: number;
  nextSeq: number;
  droppedTotal: number;
  dropped: SeqRange[];
}

interface Entry {
  seq: number;
  ts: number;
  offset: number;
  bytes: number;
}

export class AppendLogQueue implements DurableQueue {
  private meta!: Meta;
  private entries: Entry[] = [];
  private head = 0;
  private liveBytes = 0;
  private fd: number | undefined;
  private fileSize = 0;

  constructor(private readonly options: AppendLogQueueOptions) {}

  get stream(): string {
    return this.meta.stream;
  }

  private path(name: string): string {
    return join(this.options.dir, name);
  }

  open(): void {
    fs.mkdirSync(this.options.dir, { recursive: true });
    const raw = nodeFs.readFileSync(this.path('meta.json'));
    if (raw) this.meta = JSON.parse(raw.toString('utf8')) as Meta;
    else {
      this.meta = { stream: createStreamId(), floor: 0, nextSeq: 1, droppedTotal: 0, dropped: [] };
      this.writeMeta();
    }
    this.fd = fs.openSync(this.path('records.log'), 'a+');
    fsyncDir(nodeFs, this.options.dir);
    this.loadLog();
  }

  /** Indexes the live lines; a torn last line (a power cut mid-append) is cut off. */
  private loadLog(): void {
    const text = fs.readFileSync(this.path('records.log'));
    let start = 0;
    this.entries = [];
    this.head = 0;
    this.liveBytes = 0;
    for (let nl = text.indexOf(10, start); nl >= 0; start = nl + 1, nl = text.indexOf(10, start)) {
      const rec = JSON.parse(text.subarray(start, nl).toString('utf8')) as TelemetryRecord;
      this.meta.nextSeq = Math.max(this.meta.nextSeq, rec.seq + 1);
      if (rec.seq <= this.meta.floor) continue;
      this.entries.push({ seq: rec.seq, ts: rec.ts, offset: start, bytes: nl - start });
      this.liveBytes += nl - start;
    }
    if (start < text.length) fs.ftruncateSync(this.fd!, start);
    this.fileSize = start;
  }

  private writeMeta(): void {
    atomicWriteFile(nodeFs, this.path('meta.json'), JSON.stringify(this.meta));
  }

  private get count(): number {
    return this.entries.length - this.head;
  }

  append(input: QueueInput): number {
    const seq = this.meta.nextSeq;
    const line = JSON.stringify({ seq, epoch: input.epoch, ts: input.ts, kind: input.kind, data: input.data });
    const size = Buffer.byteLength(line);
    if (size > MAX_RECORD_BYTES) throw new RangeError(`record of ${size} bytes exceeds ${MAX_RECORD_BYTES}`);
    const { maxBytes, maxRecords, policy } = this.options.limits;
    const over = () => this.count + 1 > maxRecords || this.liveBytes + size > maxBytes;
    if (over() && policy === 'drop-newest') {
      this.drop(seq, seq);
      this.meta.nextSeq = seq + 1;
      this.writeMeta();
      return seq;
    }
    if (over()) {
      while (this.count > 0 && over()) {
        const old = this.entries[this.head++]!;
        this.liveBytes -= old.bytes;
        this.drop(old.seq, old.seq);
        this.meta.floor = old.seq;
      }
      this.writeMeta(); // declared before the new record exists; nextSeq still excludes it
    }
    const bytes = Buffer.from(`${line}\n`);
    fs.writeSync(this.fd!, bytes);
    fs.fsyncSync(this.fd!);
    this.entries.push({ seq, ts: input.ts, offset: this.fileSize, bytes: size });
    this.fileSize += bytes.length;
    this.liveBytes += size;
    this.meta.nextSeq = seq + 1;
    return seq;
  }

  private drop(from: number, to: number): void {
    for (let s = from; s <= to; s++) addToRanges(this.meta.dropped, s, s);
    this.meta.droppedTotal += to - from + 1;
  }

  peekBatch(maxRecords: number, maxBytes: number): QueueBatch | undefined {
    const pending = this.droppedRanges();
    let size = JSON.stringify({ stream: this.stream, records: [], dropped: pending }).length;
    const records: TelemetryRecord[] = [];
    for (let i = this.head; i < this.entries.length && records.length < maxRecords; i++) {
      const e = this.entries[i]!;
      const add = e.bytes + (records.length > 0 ? 1 : 0);
      if (records.length > 0 && size + add > maxBytes) break;
      size += add;
      records.push(this.read(e));
    }
    const lastRecord = records[records.length - 1]?.seq;
    const dropped = lastRecord === undefined ? pending : pending.filter((r) => r.from <= lastRecord + 1);
    if (records.length === 0 && dropped.length === 0) return undefined;
    return { stream: this.stream, records, dropped, lastSeq: Math.max(lastRecord ?? 0, ...dropped.map((r) => r.to)) };
  }

  private read(e: Entry): TelemetryRecord {
    const buf = Buffer.alloc(e.bytes);
    fs.readSync(this.fd!, buf, 0, e.bytes, e.offset);
    return JSON.parse(buf.toString('utf8')) as TelemetryRecord;
  }

  ack(upTo: number, rejected: readonly Rejection[]): void {
    const aside = rejected.flatMap((r) => {
      const e = this.entries.slice(this.head).find((x) => x.seq === r.seq);
      return e ? [`${JSON.stringify({ ...this.read(e), reason: r.reason })}\n`] : [];
    });
    if (aside.length > 0) appendDurably(this.path('rejected.log'), aside.join(''));
    const declaredBefore = JSON.stringify(this.meta.dropped);
    this.meta.dropped = this.meta.dropped.filter((r) => r.to > upTo).map((r) => (r.from <= upTo ? { from: upTo + 1, to: r.to } : r));
    if (upTo <= this.meta.floor && JSON.stringify(this.meta.dropped) === declaredBefore) return;
    while (this.count > 0 && this.entries[this.head]!.seq <= upTo) this.liveBytes -= this.entries[this.head++]!.bytes;
    this.meta.floor = Math.max(this.meta.floor, upTo);
    this.writeMeta();
    this.compactIfWorth();
  }

  /** Rewrites the log without its acknowledged head, atomically. */
  private compactIfWorth(): void {
    const deadBytes = this.count > 0 ? this.entries[this.head]!.offset : this.fileSize;
    if (deadBytes < (this.options.compactAfterBytes ?? 1024 * 1024)) return;
    const live = this.entries.slice(this.head).map((e) => JSON.stringify(this.read(e))).join('\n');
    fs.closeSync(this.fd!);
    atomicWriteFile(nodeFs, this.path('records.log'), live.length > 0 ? `${live}\n` : '');
    this.fd = fs.openSync(this.path('records.log'), 'a+');
    this.loadLog();
  }

  health(): QueueHealth {
    return { depth: this.count, oldestTs: this.entries[this.head]?.ts ?? null, dropped: this.meta.droppedTotal };
  }

  droppedRanges(): SeqRange[] {
    return this.meta.dropped.slice(0, 1000).map((r) => ({ ...r }));
  }

  rejected(limit = 100): Array<TelemetryRecord & { reason: string }> {
    const raw = nodeFs.readFileSync(this.path('rejected.log'));
    if (!raw) return [];
    const lines = raw.toString('utf8').split('\n').filter((l) => l.length > 0);
    return lines.slice(0, limit).map((l) => JSON.parse(l) as TelemetryRecord & { reason: string });
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function appendDurably(path: string, text: string): void {
  const fd = fs.openSync(path, 'a');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
