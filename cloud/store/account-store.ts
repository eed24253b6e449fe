/**
 * SQL for the accounts tree. Returns undefined for "not found"; services decide the error.
 * Statements are prepared once per store. The three counts of an account are columns that triggers
 * keep right (migration 2), so reading them costs nothing beyond the row.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
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

export class AccountStore {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  private st(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
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

  /** The subtree under `prefix` in tree (path) order, after `afterPath`, one index range scan. */
  listSubtree(prefix: string, afterPath: string | null, limit: number): AccountWithCounts[] {
    return this.st('SELECT * FROM accounts WHERE path >= ? AND path < ? AND path > ? ORDER BY path LIMIT ?')
      .all(prefix, subtreeEnd(prefix), afterPath ?? '', limit) as AccountWithCounts[];
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

  /** Every account strictly below `prefix` whose settings are set (for re-pushing ownership). */
  countSubtree(prefix: string): number {
    const r = this.st('SELECT count(*) AS n FROM accounts WHERE path >= ? AND path < ?').get(prefix, subtreeEnd(prefix)) as { n: number };
    return r.n;
  }
}
