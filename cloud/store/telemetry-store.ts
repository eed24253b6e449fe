/**
 * SQL for telemetry: idempotent inserts by (device, stream, seq), stream high-water marks, reads.
 *
 * Rows carry integer keys (device, stream, owner) resolved here and cached in memory: the keys never
 * change once committed, so the caches only need forgetting when a transaction that may have
 * created keys rolls back ({@link TelemetryStore.forget}).
 */
import { statements, type Db } from './db.js';
import type { Statement } from 'better-sqlite3';
import { subtreeEnd } from './paths.js';

export interface TelemetryRow {
  device_id: string;
  stream: string;
  seq: number;
  epoch: number;
  ts: number;
  kind: string;
  data: string;
  account_id: string;
  account_path: string;
  received_at: number;
}

/** One stream's state as ingest sees it; `upTo` and `maxSeq` are kept in step with the database. */
export interface StreamState {
  key: number;
  /** Every seq up to it is committed or refused (persisted in `streams.up_to`). */
  upTo: number;
  /** The highest seq stored for the stream, so a seq above it is known absent without a query. */
  maxSeq: number;
  /** Owners already listed with the device in `telemetry_device_owners` (one Set lookup a row). */
  owners: Set<number>;
}

/** Sort key of a record in a page: (ts, stream, seq); streams are ASCII, so JS order is SQLite's. */
export type TelemetryKey = [ts: number, stream: string, seq: number];

const COLS = 'd.device_id, s.stream, t.seq, t.epoch, t.ts, t.kind, t.data, o.account_id, o.account_path, t.received_at';
const JOINS = `FROM telemetry_rows t JOIN streams s ON s.key = t.stream_key JOIN telemetry_owners o ON o.key = t.owner_key
  JOIN telemetry_devices d ON d.key = t.device_key`;

export class TelemetryStore {
  private readonly st;
  /** Statements of the read and retention paths, prepared once per connection. */
  private readonly sql: (text: string) => Statement;
  private readonly deviceKeys = new Map<string, number>();
  private readonly ownerKeys = new Map<string, number>();
  private readonly streams = new Map<string, StreamState>();

  constructor(db: Db) {
    this.sql = statements(db);
    this.st = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO telemetry_rows (device_key, stream_key, seq, epoch, ts, kind, data, owner_key, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      exists: db.prepare('SELECT 1 FROM telemetry_rows WHERE stream_key = ? AND seq = ?').pluck(),
      addDevice: db.prepare('INSERT OR IGNORE INTO telemetry_devices (device_id) VALUES (?)'),
      deviceKey: db.prepare('SELECT key FROM telemetry_devices WHERE device_id = ?').pluck(),
      addOwner: db.prepare('INSERT OR IGNORE INTO telemetry_owners (account_id, account_path) VALUES (?, ?)'),
      ownerKey: db.prepare('SELECT key FROM telemetry_owners WHERE account_id = ?').pluck(),
      addPair: db.prepare('INSERT OR IGNORE INTO telemetry_device_owners (device_key, owner_key) VALUES (?, ?)'),
      addStream: db.prepare('INSERT OR IGNORE INTO streams (device_key, stream, up_to) VALUES (?, ?, 0)'),
      stream: db.prepare(
        'SELECT key, up_to AS upTo, (SELECT max(seq) FROM telemetry_rows WHERE stream_key = s.key) AS maxSeq FROM streams s WHERE device_key = ? AND stream = ?',
      ),
      // Monotonic: an upTo never goes back, whoever wrote a higher one.
      setUpTo: db.prepare('UPDATE streams SET up_to = max(up_to, ?) WHERE key = ?'),
    };
  }

  /** Drops every cached key and stream state (after a rollback that may have created some). */
  forget(): void {
    this.deviceKeys.clear();
    this.ownerKeys.clear();
    this.streams.clear();
  }

  /** The device's key, created on first use. */
  deviceKey(deviceId: string): number {
    let key = this.deviceKeys.get(deviceId);
    if (key === undefined) {
      this.st.addDevice.run(deviceId);
      key = this.st.deviceKey.get(deviceId) as number;
      this.deviceKeys.set(deviceId, key);
    }
    return key;
  }

  /** The owner's key, created on first use (an account's path never changes). */
  ownerKey(accountId: string, accountPath: string): number {
    let key = this.ownerKeys.get(accountId);
    if (key === undefined) {
      this.st.addOwner.run(accountId, accountPath);
      key = this.st.ownerKey.get(accountId) as number;
      this.ownerKeys.set(accountId, key);
    }
    return key;
  }

  /** The stream's state, created on first use; the same object until {@link forget}. */
  stream(deviceKey: number, stream: string): StreamState {
    const id = `${deviceKey} ${stream}`;
    let s = this.streams.get(id);
    if (s === undefined) {
      this.st.addStream.run(deviceKey, stream);
      const row = this.st.stream.get(deviceKey, stream) as { key: number; upTo: number; maxSeq: number | null };
      s = { key: row.key, upTo: row.upTo, maxSeq: row.maxSeq ?? 0, owners: new Set() };
      this.streams.set(id, s);
    }
    return s;
  }

  /** Stores one record; true when it is new (false: a duplicate, stored once already). */
  insertKeyed(s: StreamState, deviceKey: number, seq: number, epoch: number, ts: number, kind: string, data: string, ownerKey: number, receivedAt: number): boolean {
    const fresh = this.st.insert.run(deviceKey, s.key, seq, epoch, ts, kind, data, ownerKey, receivedAt).changes === 1;
    if (fresh && seq > s.maxSeq) s.maxSeq = seq;
    if (fresh && !s.owners.has(ownerKey)) {
      this.st.addPair.run(deviceKey, ownerKey);
      s.owners.add(ownerKey);
    }
    return fresh;
  }

  /** Whether `seq` of the stream is stored; a seq above the highest stored needs no query. */
  storedKeyed(s: StreamState, seq: number): boolean {
    return seq <= s.maxSeq && this.st.exists.get(s.key, seq) !== undefined;
  }

  /** Persists a higher upTo (in the caller's transaction). */
  setUpToKeyed(s: StreamState, upTo: number): void {
    s.upTo = upTo;
    this.st.setUpTo.run(upTo, s.key);
  }

  /** True when the row is new (false: a duplicate, stored once already). Resolves keys per call. */
  insert(row: TelemetryRow): boolean {
    const device = this.deviceKey(row.device_id);
    return this.insertKeyed(
      this.stream(device, row.stream), device, row.seq, row.epoch, row.ts, row.kind, row.data,
      this.ownerKey(row.account_id, row.account_path), row.received_at,
    );
  }

  exists(deviceId: string, stream: string, seq: number): boolean {
    return this.storedKeyed(this.stream(this.deviceKey(deviceId), stream), seq);
  }

  upTo(deviceId: string, stream: string): number {
    return this.stream(this.deviceKey(deviceId), stream).upTo;
  }

  setUpTo(deviceId: string, stream: string, upTo: number): void {
    this.setUpToKeyed(this.stream(this.deviceKey(deviceId), stream), upTo);
  }

  /**
   * Records of a device attributed inside `prefix`, by (ts, stream, seq) after the cursor. One
   * index range per owner inside the prefix that holds records of the device (usually one; one
   * more per move inside the caller's subtree), each read up to `limit`, then merged.
   */
  read(q: {
    deviceId: string; prefix: string; from: number; to: number; after: TelemetryKey | null; limit: number; desc: boolean;
  }): TelemetryRow[] {
    const dir = q.desc ? 'DESC' : 'ASC';
    const after = q.after ?? (q.desc ? [Number.MAX_SAFE_INTEGER, '\uffff', Number.MAX_SAFE_INTEGER] : [-1, '', 0]);
    const page = this.sql(
      `SELECT ${COLS} ${JOINS}
       WHERE t.device_key = ? AND t.owner_key = ? AND t.ts >= ? AND t.ts < ? AND (t.ts, s.stream, t.seq) ${q.desc ? '<' : '>'} (?, ?, ?)
       ORDER BY t.ts ${dir}, s.stream ${dir}, t.seq ${dir} LIMIT ?`,
    );
    const owners = this.ownersWithin(q.deviceId, q.prefix);
    const rows = owners.flatMap(({ device, owner }) => page.all(device, owner, q.from, q.to, ...after, q.limit) as TelemetryRow[]);
    if (owners.length > 1) rows.sort((a, b) => (q.desc ? -1 : 1) * compareKeys(a, b));
    return rows.slice(0, q.limit);
  }

  /** Whether any record of the device is attributed inside `prefix` (an old owner's history). */
  anyAttributed(deviceId: string, prefix: string): boolean {
    return this.ownersWithin(deviceId, prefix).length > 0;
  }

  /** The owners inside `prefix` that records of the device are attributed to, with its key. */
  private ownersWithin(deviceId: string, prefix: string): { device: number; owner: number }[] {
    return this.sql(
      `SELECT p.device_key AS device, p.owner_key AS owner FROM telemetry_device_owners p JOIN telemetry_owners o ON o.key = p.owner_key
       WHERE p.device_key = (SELECT key FROM telemetry_devices WHERE device_id = ?) AND o.account_path >= ? AND o.account_path < ?`,
    ).all(deviceId, prefix, subtreeEnd(prefix)) as { device: number; owner: number }[];
  }

  /**
   * Deletes at most `limit` of the oldest records, stopping at the first one stored at or after
   * `cutoff`; rowids grow with arrival, so this reads only the head of the table.
   */
  pruneBefore(cutoff: number, limit: number): number {
    const last = this.sql('SELECT max(rowid) FROM (SELECT rowid, received_at FROM telemetry_rows ORDER BY rowid LIMIT ?) WHERE received_at < ?')
      .pluck()
      .get(limit, cutoff) as number | null;
    if (last === null) return 0;
    return this.sql('DELETE FROM telemetry_rows WHERE rowid <= ? AND received_at < ?').run(last, cutoff).changes;
  }
}

function compareKeys(a: TelemetryRow, b: TelemetryRow): number {
  return a.ts - b.ts || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0) || a.seq - b.seq;
}
