/**
 * SQL for the accounts tree. Returns undefined for "not found"; services decide the error.
 * Statements are prepared once per store. The three counts of an account are columns that triggers
 * keep right (migration 2), so reading them costs nothing beyond the row.
 */
import type { Statement } from 'better-sqlite3';
import { statements, type Db } from './db.js';
import { subtreeEnd } from './paths.js';

export interface AccountRow {
  id: string;
  name: string;
  parent_id: string | null;
  path: string;
  depth: number;
  settings: string;
  created_at: number;
}

/** An account with its counters (maintained by triggers; devices count only live ones). */
export interface AccountWithCounts extends AccountRow {
  child_count: number;
  device_count: number;
  user_count: number;
}

const LIST_COLS = 'id, name, parent_id, path, depth, settings, created_at, child_count, device_count, user_count';
type ListRow = [string, string, string | null, string, number, string, number, number, number, number];

export class AccountStore {
  private readonly st: (sql: string) => Statement;

  constructor(db: Db) {
    this.st = statements(db);
  }

  private rawSt(sql: string): Statement {
    return this.st(sql).raw(true);
  }

  get(id: string): AccountRow | undefined {
    return this.st('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
  }

  getWithCounts(id: string): AccountWithCounts | undefined {
    return this.st('SELECT * FROM accounts WHERE id = ?').get(id) as AccountWithCounts | undefined;
  }

  root(): AccountRow | undefined {
    return this.st('SELECT * FROM accounts WHERE parent_id IS NULL').get() as AccountRow | undefined;
  }

  /**
   * The subtree under `prefix` in tree (path) order, after `afterPath`: one index range scan that
   * starts at the cursor. (With `path >= prefix AND path > after` SQLite seeks with one bound and
   * filters the other: page n cost O(n) rows.) Rows come as arrays and are built here with one
   * fixed shape, which is faster than better-sqlite3's per-column object building.
   */
  listSubtree(prefix: string, afterPath: string | null, limit: number): AccountWithCounts[] {
    const end = subtreeEnd(prefix);
    // SQLite compares TEXT as UTF-8 bytes (BINARY collation), as Buffer.compare does.
    const fromCursor = afterPath !== null && Buffer.compare(Buffer.from(afterPath), Buffer.from(prefix)) >= 0;
    const rows = fromCursor
      ? this.rawSt(`SELECT ${LIST_COLS} FROM accounts WHERE path > ? AND path < ? ORDER BY path LIMIT ?`).all(afterPath, end, limit)
      : this.rawSt(`SELECT ${LIST_COLS} FROM accounts WHERE path >= ? AND path < ? ORDER BY path LIMIT ?`).all(prefix, end, limit);
    return (rows as ListRow[]).map((r) => ({
      id: r[0], name: r[1], parent_id: r[2], path: r[3], depth: r[4], settings: r[5], created_at: r[6],
      child_count: r[7], device_count: r[8], user_count: r[9],
    }));
  }

  /** Rows for the given ids (the chain of a path), unordered. */
  byIds(ids: readonly string[]): AccountRow[] {
    if (ids.length === 0) return [];
    const marks = ids.map(() => '?').join(',');
    return this.st(`SELECT * FROM accounts WHERE id IN (${marks})`).all(...ids) as AccountRow[];
  }

  insert(row: AccountRow): void {
    this.st(
      `INSERT INTO accounts (id, name, parent_id, path, depth, settings, created_at)
       VALUES (@id, @name, @parent_id, @path, @depth, @settings, @created_at)`,
    ).run(row);
  }

  update(id: string, fields: { name: string; settings: string }): void {
    this.st('UPDATE accounts SET name = @name, settings = @settings WHERE id = @id').run({ id, ...fields });
  }

  delete(id: string): void {
    this.st('DELETE FROM accounts WHERE id = ?').run(id);
  }
}
