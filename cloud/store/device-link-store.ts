/**
 * SQL the broker needs about devices: login facts, ownership messages, hello and acks, and the
 * ownership history used to attribute telemetry.
 */
import type { Interval } from '../domain/attribution.js';
import type { Db } from './db.js';
import type { DeviceRow } from './device-store.js';
import { subtreeEnd } from './paths.js';

/** What the broker needs of a device row (cloud/store/device-store.ts owns the full shape). */
export type LinkedDevice = Pick<
  DeviceRow,
  'id' | 'unit_id' | 'account_id' | 'account_path' | 'epoch' | 'issued_at' | 'applied_epoch' | 'applied_issued_at' | 'secret_hash'
>;

const COLS = 'id, unit_id, account_id, account_path, epoch, issued_at, applied_epoch, applied_issued_at, secret_hash';

export class DeviceLinkStore {
  /** Statements on the per-message path, prepared once (better-sqlite3's prepare is not free). */
  private readonly hot;

  constructor(private readonly db: Db) {
    this.hot = {
      byUnitId: db.prepare(`SELECT ${COLS} FROM devices WHERE unit_id = ? AND deleted_at IS NULL`),
      touchLastSeen: db.prepare('UPDATE devices SET last_seen = ? WHERE id = ?'),
    };
  }

  byUnitId(unitId: string): LinkedDevice | undefined {
    return this.hot.byUnitId.get(unitId) as LinkedDevice | undefined;
  }

  /** Live devices among `ids`, in one statement (ids passed as one JSON array). */
  byIds(ids: readonly string[]): LinkedDevice[] {
    return this.db
      .prepare(`SELECT ${COLS} FROM devices WHERE deleted_at IS NULL AND id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as LinkedDevice[];
  }

  /** Every live device, in pages (for re-publishing retained ownership messages at start). */
  livePage(afterId: string, limit: number): LinkedDevice[] {
    return this.db
      .prepare(`SELECT ${COLS} FROM devices WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?`)
      .all(afterId, limit) as LinkedDevice[];
  }

  /** A settings change: every live device below `prefix` gets a strictly newer issuedAt. */
  touchSubtree(prefix: string, now: number): void {
    this.db
      .prepare('UPDATE devices SET issued_at = max(issued_at + 1, ?) WHERE deleted_at IS NULL AND account_path >= ? AND account_path < ?')
      .run(now, prefix, subtreeEnd(prefix));
  }

  liveBelow(prefix: string, afterId: string, limit: number): LinkedDevice[] {
    return this.db
      .prepare(`SELECT ${COLS} FROM devices WHERE deleted_at IS NULL AND account_path >= ? AND account_path < ? AND id > ? ORDER BY id LIMIT ?`)
      .all(prefix, subtreeEnd(prefix), afterId, limit) as LinkedDevice[];
  }

  /** Owner path of a device, decommissioned ones included (their history stays readable). */
  ownerOf(id: string): { account_path: string; deleted_at: number | null } | undefined {
    return this.db.prepare('SELECT account_path, deleted_at FROM devices WHERE id = ?').get(id) as { account_path: string; deleted_at: number | null } | undefined;
  }

  recordHello(id: string, f: { lastSeen: number; agentVersion: string; vin: string | null; queue: string | null }): void {
    this.db
      .prepare('UPDATE devices SET last_seen = @lastSeen, agent_version = @agentVersion, vin = coalesce(@vin, vin), queue = coalesce(@queue, queue) WHERE id = @id')
      .run({ id, ...f });
  }

  touchLastSeen(id: string, now: number): void {
    this.hot.touchLastSeen.run(now, id);
  }

  recordApplied(id: string, epoch: number, issuedAt: number): void {
    this.db.prepare('UPDATE devices SET applied_epoch = ?, applied_issued_at = ? WHERE id = ?').run(epoch, issuedAt, id);
  }

  intervals(deviceId: string): Interval[] {
    return this.db
      .prepare(
        `SELECT epoch, account_id AS accountId, account_path AS accountPath, from_ts AS "from", to_ts AS "to"
         FROM ownership WHERE device_id = ? ORDER BY epoch`,
      )
      .all(deviceId) as Interval[];
  }
}
