/** SQL for telemetry: idempotent inserts by (device, stream, seq), stream high-water marks, reads. */
import type { Db } from './db.js';
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

export class TelemetryStore {
  private readonly insertStmt;
  private readonly existsStmt;
  private readonly upToStmt;
  private readonly setUpToStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO telemetry (device_id, stream, seq, epoch, ts, kind, data, account_id, account_path, received_at)
       VALUES (@device_id, @stream, @seq, @epoch, @ts, @kind, @data, @account_id, @account_path, @received_at)`,
    );
    this.existsStmt = db.prepare('SELECT 1 FROM telemetry WHERE device_id = ? AND stream = ? AND seq = ?').pluck();
    this.upToStmt = db.prepare('SELECT up_to FROM streams WHERE device_id = ? AND stream = ?').pluck();
    this.setUpToStmt = db.prepare(
      'INSERT INTO streams (device_id, stream, up_to) VALUES (?, ?, ?) ON CONFLICT (device_id, stream) DO UPDATE SET up_to = excluded.up_to',
    );
  }

  /** True when the row is new (false: a duplicate, stored once already). */
  insert(row: TelemetryRow): boolean {
    return this.insertStmt.run(row).changes === 1;
  }

  exists(deviceId: string, stream: string, seq: number): boolean {
    return this.existsStmt.get(deviceId, stream, seq) !== undefined;
  }

  upTo(deviceId: string, stream: string): number {
    return (this.upToStmt.get(deviceId, stream) as number | undefined) ?? 0;
  }

  setUpTo(deviceId: string, stream: string, upTo: number): void {
    this.setUpToStmt.run(deviceId, stream, upTo);
  }

  /** Records of a device attributed inside `prefix`, by (ts, stream, seq) after the cursor. */
  read(q: {
    deviceId: string; prefix: string; from: number; to: number; after: [number, string, number] | null; limit: number; desc: boolean;
  }): TelemetryRow[] {
    const dir = q.desc ? 'DESC' : 'ASC';
    const [ats, astream, aseq] = q.after ?? (q.desc ? [Number.MAX_SAFE_INTEGER, '\uffff', Number.MAX_SAFE_INTEGER] : [-1, '', 0]);
    return this.db
      .prepare(
        `SELECT * FROM telemetry WHERE device_id = ? AND account_path >= ? AND account_path < ?
           AND ts >= ? AND ts < ? AND (ts, stream, seq) ${q.desc ? '<' : '>'} (?, ?, ?)
         ORDER BY ts ${dir}, stream ${dir}, seq ${dir} LIMIT ?`,
      )
      .all(q.deviceId, q.prefix, subtreeEnd(q.prefix), q.from, q.to, ats, astream, aseq, q.limit) as TelemetryRow[];
  }

  /** Whether any record of the device is attributed inside `prefix` (an old owner's history). */
  anyAttributed(deviceId: string, prefix: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM telemetry WHERE device_id = ? AND account_path >= ? AND account_path < ? LIMIT 1')
        .get(deviceId, prefix, subtreeEnd(prefix)) !== undefined
    );
  }

  /**
   * Deletes at most `limit` of the oldest records, stopping at the first one stored at or after
   * `cutoff`; rowids grow with arrival, so this reads only the head of the table.
   */
  pruneBefore(cutoff: number, limit: number): number {
    const last = this.db
      .prepare('SELECT max(rowid) FROM (SELECT rowid, received_at FROM telemetry ORDER BY rowid LIMIT ?) WHERE received_at < ?')
      .pluck()
      .get(limit, cutoff) as number | null;
    if (last === null) return 0;
    return this.db.prepare('DELETE FROM telemetry WHERE rowid <= ? AND received_at < ?').run(last, cutoff).changes;
  }
}
