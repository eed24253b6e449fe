/**
 * SQL for devices and their ownership history. Returns undefined for "not found"; services decide
 * the error. Statements are prepared once per store and reused (bulk paths run them thousands of
 * times), and every bulk lookup passes its ids as one JSON array read with `json_each`, so a
 * request of 10 000 entries is one statement, not 10 000 or a chunked `IN (...)`.
 */
import type { Statement } from 'better-sqlite3';
import { statements, type Db } from './db.js';
import { subtreeEnd } from './paths.js';

export interface DeviceRow {
  id: string;
  unit_id: string;
  name: string;
  account_id: string;
  /** The owner's materialized path, denormalised so a subtree is one index range scan. */
  account_path: string;
  epoch: number;
  /** When the current ownership message was issued (ms). */
  issued_at: number;
  applied_epoch: number | null;
  applied_issued_at: number | null;
  secret_hash: string;
  last_seen: number | null;
  agent_version: string | null;
  vin: string | null;
  /** JSON of the agent's queue health, as last reported in `hello`. */
  queue: string | null;
  created_at: number;
  deleted_at: number | null;
}

export interface IntervalRow {
  device_id: string;
  epoch: number;
  account_id: string;
  account_path: string;
  from_ts: number;
  to_ts: number | null;
}

/** What the bulk paths need of a device: who it is, who owns it, at which epoch. */
export type DeviceRef = Pick<DeviceRow, 'id' | 'unit_id' | 'account_id' | 'account_path' | 'epoch'>;

/** What a list query filters on. */
export interface DeviceListQuery {
  /** Subtree prefix (an account's path). */
  prefix: string;
  /** Last device id of the previous page, or null. */
  afterId: string | null;
  /** Substring of unit id, device id or name (prefix matches are substrings too). */
  q?: string;
  limit: number;
}

/**
 * Below this many devices in the listed subtree, the path index plus a sort by id is cheapest;
 * above it, walking the id index and testing the path is (each page reads about
 * `limit * total / subtree` rows), and a substring search reads the table in storage order and
 * sorts only its matches. Every plan gives the same rows in the same order.
 */
const SMALL_SUBTREE = 5_000;

const LIVE = 'deleted_at IS NULL';
const IDS = 'SELECT value FROM json_each(?)';
const REF = 'd.id, d.unit_id, d.account_id, d.account_path, d.epoch';

/** `LIKE` with the user's text taken literally. */
function likeSubstring(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class DeviceStore {
  private readonly st: (sql: string) => Statement;

  constructor(db: Db) {
    this.st = statements(db);
  }

  /** A live (not decommissioned) device by id. */
  get(id: string): DeviceRow | undefined {
    return this.st(`SELECT * FROM devices WHERE id = ? AND ${LIVE}`).get(id) as DeviceRow | undefined;
  }

  /** The live device holding this unit id. */
  byUnit(unitId: string): DeviceRow | undefined {
    return this.st(`SELECT * FROM devices WHERE unit_id = ? AND ${LIVE}`).get(unitId) as DeviceRow | undefined;
  }

  /** Highest epoch any device (live or decommissioned) of this unit id reached; 0 when none. */
  lastEpochOfUnit(unitId: string): number {
    const r = this.st('SELECT max(epoch) AS e FROM devices WHERE unit_id = ?').get(unitId) as { e: number | null };
    return r.e ?? 0;
  }

  /** Highest epoch per unit id for the given unit ids (those never seen are absent). */
  lastEpochsOfUnits(unitIds: readonly string[]): Map<string, number> {
    const rows = this.st(`SELECT unit_id AS u, max(epoch) AS e FROM devices WHERE unit_id IN (${IDS}) GROUP BY unit_id`)
      .all(JSON.stringify(unitIds)) as { u: string; e: number }[];
    return new Map(rows.map((r) => [r.u, r.e]));
  }

  /** Live devices among these ids (each id at most once in the list). */
  liveByIds(ids: readonly string[]): DeviceRef[] {
    return this.st(`SELECT ${REF} FROM json_each(?) j JOIN devices d ON d.id = j.value AND d.${LIVE}`).all(JSON.stringify(ids)) as DeviceRef[];
  }

  /** Live devices among these unit ids (each unit id at most once in the list). */
  liveByUnits(unitIds: readonly string[]): DeviceRef[] {
    return this.st(`SELECT ${REF} FROM json_each(?) j JOIN devices d ON d.unit_id = j.value AND d.${LIVE}`).all(JSON.stringify(unitIds)) as DeviceRef[];
  }

  /** One page of live devices in a subtree, in device id order (stable while devices move). */
  list(query: DeviceListQuery): DeviceRow[] {
    const { prefix, afterId, q, limit } = query;
    const end = subtreeEnd(prefix);
    const filter = q ? 'AND (unit_id LIKE @q ESCAPE \'\\\' OR id LIKE @q ESCAPE \'\\\' OR name LIKE @q ESCAPE \'\\\')' : '';
    const params = { prefix, end, after: afterId ?? '', limit, ...(q ? { q: likeSubstring(q) } : {}) };
    const small = this.isSmallSubtree(prefix, end);
    // `+account_path` keeps the planner off the path index so it walks the id index in order.
    const from = small ? 'devices INDEXED BY devices_path' : q ? 'devices NOT INDEXED' : 'devices';
    const path = small ? 'account_path' : '+account_path';
    const sql = `SELECT * FROM ${from} WHERE ${path} >= @prefix AND ${path} < @end AND ${LIVE}
      AND id > @after ${filter} ORDER BY id LIMIT @limit`;
    return this.st(sql).all(params) as DeviceRow[];
  }

  private isSmallSubtree(prefix: string, end: string): boolean {
    const r = this.st(
      `SELECT count(*) AS n FROM (SELECT 1 FROM devices WHERE account_path >= ? AND account_path < ? AND ${LIVE} LIMIT ${SMALL_SUBTREE})`,
    ).get(prefix, end) as { n: number };
    return r.n < SMALL_SUBTREE;
  }

  insert(row: DeviceRow): void {
    this.st(
      `INSERT INTO devices (id, unit_id, name, account_id, account_path, epoch, issued_at, applied_epoch, applied_issued_at,
         secret_hash, last_seen, agent_version, vin, queue, created_at, deleted_at)
       VALUES (@id, @unit_id, @name, @account_id, @account_path, @epoch, @issued_at, @applied_epoch, @applied_issued_at,
         @secret_hash, @last_seen, @agent_version, @vin, @queue, @created_at, @deleted_at)`,
    ).run(row);
  }

  /** Opens the interval of the device's current epoch and owner, from `from`. */
  openInterval(row: Pick<DeviceRow, 'id' | 'epoch' | 'account_id' | 'account_path'>, from: number): void {
    this.st('INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts) VALUES (?, ?, ?, ?, ?, NULL)')
      .run(row.id, row.epoch, row.account_id, row.account_path, from);
  }

  rename(id: string, name: string): void {
    this.st('UPDATE devices SET name = ? WHERE id = ?').run(name, id);
  }

  setSecret(id: string, secretHash: string): void {
    this.st('UPDATE devices SET secret_hash = ? WHERE id = ?').run(secretHash, id);
  }

  /** Decommission: the row stays (its epochs continue if the unit comes back), its interval closes. */
  softDelete(id: string, now: number): void {
    this.st('UPDATE devices SET deleted_at = ? WHERE id = ?').run(now, id);
    this.st('UPDATE ownership SET to_ts = ? WHERE device_id = ? AND to_ts IS NULL').run(now, id);
  }

  /**
   * Moves these devices to one owner: each epoch + 1 and `issued_at = now`, the open interval closed
   * at `now` and a new one opened. `from` is each device's current epoch, as planned inside the
   * caller's transaction, so the new intervals are written from it without reading the devices
   * table again. Three set-based statements; the caller holds the transaction.
   */
  moveAll(moves: readonly { id: string; epoch: number }[], owner: { id: string; path: string }, now: number): void {
    // In key order, each statement walks its B-trees forward instead of hopping between pages.
    const sorted = [...moves].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const ids = JSON.stringify(sorted.map((m) => m.id));
    const keys = JSON.stringify(sorted.map((m) => [m.id, m.epoch]));
    this.st(`UPDATE ownership SET to_ts = ? WHERE device_id IN (${IDS}) AND to_ts IS NULL`).run(now, ids);
    this.st(`UPDATE devices SET account_id = ?, account_path = ?, epoch = epoch + 1, issued_at = ? WHERE id IN (${IDS})`)
      .run(owner.id, owner.path, now, ids);
    this.st(
      `INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts)
       SELECT value ->> 0, (value ->> 1) + 1, ?, ?, ?, NULL FROM json_each(?)`,
    ).run(owner.id, owner.path, now, keys);
  }

  /** The ownership history of one device, oldest first. */
  history(deviceId: string): IntervalRow[] {
    return this.st('SELECT * FROM ownership WHERE device_id = ? ORDER BY epoch').all(deviceId) as IntervalRow[];
  }
}
