/**
 * Telemetry ingest with group commit: batches that arrive in the same tick are validated,
 * attributed record by record and stored in ONE transaction (one fsync with synchronous=FULL),
 * then each is acknowledged on `telemetry/ack` and fanned out to the owners' topicRoots once the
 * commit is on disk (the WAL is synced off the event loop, ./wal-sync.ts). The MQTT PUBACK (the
 * hook's `done`) is sent after that too.
 */
import type { Statement } from 'better-sqlite3';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import {
  MAX_BATCH_BYTES, MAX_RECORDS_PER_BATCH, MAX_RECORD_BYTES, StreamSchema, TelemetryRecordSchema, type TelemetryAck,
} from '../../protocol/messages.js';
import { z } from 'zod';
import { advanceUpTo, attribute, type Interval } from '../domain/attribution.js';
import type { Metrics } from '../metrics.js';
import type { Db } from '../store/db.js';
import type { DeviceLinkStore } from '../store/device-link-store.js';
import type { StreamState, TelemetryStore } from '../store/telemetry-store.js';
import type { StoredRecord } from './live-json.js';
import { WalSync } from './wal-sync.js';

/** Records dated more than this ahead of the registry's clock are refused (contract). */
export const MAX_FUTURE_MS = 10 * 60_000;
/** Declared dropped seqs handled per batch at most (they are listed one by one in the ack). */
const MAX_DROPPED_PER_BATCH = 10_000;
/** Flush at once when this many batches wait. */
const MAX_PENDING = 512;

/** `data` as {@link TelemetryRecordSchema} reads it, checked in place instead of copied key by key. */
const plainData = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');

/**
 * The record schema of protocol/messages.ts with one change of cost, not of meaning: a `data`
 * object from JSON.parse is accepted as is (zod's record schema copies every key, about 40% of a
 * record's validation); one with an own `__proto__` key goes through the protocol's schema, which
 * drops that key, so what is stored is the same. Tested against the protocol's schema.
 */
export const IngestRecordSchema = TelemetryRecordSchema.extend({
  data: z.union([z.custom<Record<string, unknown>>(plainData), TelemetryRecordSchema.shape.data]),
});

const Envelope = z.object({
  stream: StreamSchema,
  records: z.array(z.unknown()),
  dropped: z.array(z.object({ from: z.number().int().min(1), to: z.number().int().min(1) })).max(1000).optional(),
});

export interface IngestDevice {
  id: string;
  unitId: string;
}

/** What one committed batch produced: its ack and its records grouped by owner path. */
export interface BatchOutcome {
  device: IngestDevice;
  ack: TelemetryAck;
  byOwner: Map<string, StoredRecord[]>;
}

interface Pending {
  device: IngestDevice;
  payload: Buffer;
  receivedAt: number;
  done: (outcome: BatchOutcome | undefined) => void;
}

/** What makes a group's commit durable before its acks go (see ./wal-sync.ts). */
export interface CommitSync {
  after(then: (ok: boolean) => void): void;
  stop(): Promise<void>;
}

interface Durable {
  sync: CommitSync;
  normal: Statement;
  restore: Statement;
}

export interface IngestDeps {
  db: Db;
  /**
   * Default: commit at synchronous=NORMAL and sync the WAL off the event loop before acking, when
   * the connection is a WAL file at synchronous=FULL. `false`: commit at the connection's own level
   * (the sync blocks the event loop). An object: used instead of syncing the WAL (tests).
   */
  sync?: CommitSync | false;
  telemetry: TelemetryStore;
  links: DeviceLinkStore;
  metrics: Metrics;
  log: Logger;
  now: () => number;
}

export class Ingest {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly intervals = new Map<string, Interval[]>();
  private readonly log: Logger;
  private durable: Durable | null | undefined;
  /** The records counter's child per outcome, looked up once (it is counted for every batch). */
  private readonly counters = new Map<string, { inc(n?: number): void }>();

  constructor(private readonly deps: IngestDeps) {
    this.log = deps.log.child({ mod: 'ingest' });
  }

  /** Ownership changed: forget the cached history of these devices. */
  invalidate(deviceIds: readonly string[]): void {
    for (const id of deviceIds) this.intervals.delete(id);
  }

  /** Queues a batch; `done` runs after the commit with the outcome (undefined: unreadable). */
  submit(device: IngestDevice, payload: Buffer, done: Pending['done']): void {
    this.pending.push({ device, payload, receivedAt: this.deps.now(), done });
    if (this.pending.length >= MAX_PENDING) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const durable = this.durability();
    let outcomes: (BatchOutcome | undefined)[];
    let committed = false;
    try {
      durable?.normal.run();
      outcomes = this.deps.db.transaction(() => {
        const touched = new Set<StreamState>();
        const out = batch.map((p) => this.store(p, touched));
        // upTo once per stream per commit, and lastSeen once per device per commit, not per batch.
        for (const s of touched) this.deps.telemetry.setUpToKeyed(s, s.upTo);
        const seen = new Map(batch.map((p) => [p.device.id, p.receivedAt]));
        for (const [id, at] of seen) this.deps.links.touchLastSeen(id, at);
        return out;
      })();
      committed = true;
    } catch (err) {
      // Keys and stream states cached during the rolled-back transaction may not exist: reload.
      this.deps.telemetry.forget();
      // Nothing was committed: no ack, no PUBACK is wrong too (the agent would wait forever);
      // PUBACK without telemetry/ack makes the agent resend later, which is safe (idempotent).
      this.log.error({ err, batches: batch.length }, 'telemetry commit failed; agents will resend');
      outcomes = batch.map(() => undefined);
    } finally {
      durable?.restore.run();
    }
    const release = (ok: boolean) =>
      batch.forEach((p, i) => {
        const o = ok ? outcomes[i] : undefined;
        if (o) this.deps.metrics.ackLatency.observe((this.deps.now() - p.receivedAt) / 1000);
        p.done(o);
      });
    if (committed && durable) durable.sync.after(release);
    else release(true);
  }

  /** Flushes what is queued and waits until every commit is on disk and acknowledged. */
  async stop(): Promise<void> {
    this.flush();
    if (this.durable) await this.durable.sync.stop();
  }

  /**
   * The WAL-synced commit applies when the connection commits with synchronous=FULL (or EXTRA) in
   * WAL mode on a file: decided once, at the first flush.
   */
  private durability(): Durable | null {
    if (this.durable !== undefined) return this.durable;
    const { db } = this.deps;
    const level = db.pragma('synchronous', { simple: true }) as number;
    const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    if (this.deps.sync === false || !wal || db.memory || level < 2) return (this.durable = null);
    const sync = this.deps.sync ?? new WalSync(`${resolve(db.name)}-wal`, (err) => this.log.error({ err }, 'telemetry WAL sync failed; agents will resend'));
    return (this.durable = { sync, normal: db.prepare('PRAGMA synchronous = NORMAL'), restore: db.prepare(`PRAGMA synchronous = ${level}`) });
  }

  private history(deviceId: string): Interval[] {
    let h = this.intervals.get(deviceId);
    if (!h) {
      h = this.deps.links.intervals(deviceId);
      this.intervals.set(deviceId, h);
    }
    return h;
  }

  private store(p: Pending, touched: Set<StreamState>): BatchOutcome | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(p.payload.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const env = Envelope.safeParse(raw);
    if (!env.success) {
      this.count('unreadable-batch', 1);
      this.log.warn({ unitId: p.device.unitId }, 'telemetry batch without a readable stream; ignored');
      return undefined;
    }
    const { stream, records, dropped } = env.data;
    const tooLarge = p.payload.length > MAX_BATCH_BYTES || records.length > MAX_RECORDS_PER_BATCH;
    const dev = p.device;
    const store = this.deps.telemetry;
    const deviceKey = store.deviceKey(dev.id);
    const state = store.stream(deviceKey, stream);
    const prevUpTo = state.upTo;
    const done = new Set<number>();
    const rejected: TelemetryAck['rejected'] = [];
    const byOwner = new Map<string, StoredRecord[]>();
    let stored = 0;
    let duplicates = 0;
    const reject = (seq: number, reason: string) => {
      done.add(seq);
      rejected.push({ seq, reason });
      this.count(`rejected-${reason}`, 1);
    };
    this.declareDropped(dropped ?? [], reject);
    const history = this.history(dev.id);
    const horizon = this.deps.now() + MAX_FUTURE_MS;
    for (const item of records) {
      const rec = IngestRecordSchema.safeParse(item);
      if (!rec.success) {
        const seq = (item as { seq?: unknown } | null)?.seq;
        if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0) reject(seq, 'schema');
        continue;
      }
      const r = rec.data;
      if (tooLarge) { reject(r.seq, 'too-large'); continue; }
      const data = JSON.stringify(r.data);
      if (data.length > MAX_RECORD_BYTES) { reject(r.seq, 'too-large'); continue; }
      if (r.ts > horizon) { reject(r.seq, 'future'); continue; }
      const owner = attribute(history, r.epoch, r.ts);
      if ('refused' in owner) { reject(r.seq, owner.refused); continue; }
      done.add(r.seq);
      const ownerKey = store.ownerKey(owner.accountId, owner.accountPath);
      if (!store.insertKeyed(state, deviceKey, r.seq, r.epoch, r.ts, r.kind, data, ownerKey, p.receivedAt)) {
        duplicates++;
        continue;
      }
      stored++;
      const out: StoredRecord = { stream, seq: r.seq, epoch: r.epoch, ts: r.ts, kind: r.kind, dataJson: data };
      const list = byOwner.get(owner.accountPath);
      if (list) list.push(out);
      else byOwner.set(owner.accountPath, [out]);
    }
    const upTo = advanceUpTo(prevUpTo, done, (seq) => store.storedKeyed(state, seq));
    if (upTo !== prevUpTo) {
      state.upTo = upTo;
      touched.add(state);
    }
    rejected.sort((a, b) => a.seq - b.seq);
    if (stored > 0) this.count('stored', stored);
    if (duplicates > 0) this.count('duplicate', duplicates);
    return { device: dev, ack: { stream, upTo, rejected }, byOwner };
  }

  private count(outcome: string, n: number): void {
    let c = this.counters.get(outcome);
    if (!c) this.counters.set(outcome, (c = this.deps.metrics.records.labels({ outcome })));
    c.inc(n);
  }

  /** Seqs the agent discarded (disk full) are refused with `dropped-on-device`. */
  private declareDropped(ranges: { from: number; to: number }[], reject: (seq: number, reason: string) => void): void {
    let budget = MAX_DROPPED_PER_BATCH;
    for (const { from, to } of ranges) {
      for (let seq = from; seq <= to && budget > 0; seq++, budget--) reject(seq, 'dropped-on-device');
    }
  }
}
