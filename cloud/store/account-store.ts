/** SQL for the accounts tree. Returns undefined for "not found"; services decide the error. */
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

export interface AccountWithCounts extends AccountRow {
  child_count: number;
  device_count: number;
  user_count: number;
}

const COUNTS = `
  (SELECT count(*) FROM accounts c WHERE c.parent_id = a.id) AS child_count,
  (SELECT count(*) FROM devices d WHERE d.account_id = a.id AND d.deleted_at IS NULL) AS device_count,
  (SELECT count(*) FROM users u WHERE u.account_id = a.id) AS user_count`;

export class AccountStore {
  constructor(private readonly db: Db) {}

  get(id: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
  }

  getWithCounts(id: string): AccountWithCounts | undefined {
    return this.db.prepare(`SELECT a.*, ${COUNTS} FROM accounts a WHERE a.id = ?`).get(id) as AccountWithCounts | undefined;
  }

  root(): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM accounts WHERE parent_id IS NULL').get() as AccountRow | undefined;
  }

  /** The subtree under `prefix` in tree (path) order, after `afterPath`, one index range scan. */
  listSubtree(prefix: string, afterPath: string | null, limit: number): AccountWithCounts[] {
    const from = afterPath ?? '';
    return this.db
      .prepare(
        `SELECT a.*, ${COUNTS} FROM accounts a
         WHERE a.path >= ? AND a.path < ? AND a.path > ? ORDER BY a.path LIMIT ?`,
      )
      .all(prefix, subtreeEnd(prefix), from, limit) as AccountWithCounts[];
  }

  /** Rows for the given ids (the chain of a path), unordered. */
  byIds(ids: readonly string[]): AccountRow[] {
    if (ids.length === 0) return [];
    const marks = ids.map(() => '?').join(',');
    return this.db.prepare(`SELECT * FROM accounts WHERE id IN (${marks})`).all(...ids) as AccountRow[];
  }

  insert(row: AccountRow): void {
    this.db
      .prepare(
        `INSERT INTO accounts (id, name, parent_id, path, depth, settings, created_at)
         VALUES (@id, @name, @parent_id, @path, @depth, @settings, @created_at)`,
      )
      .run(row);
  }

  update(id: string, fields: { name: string; settings: string }): void {
    this.db.prepare('UPDATE accounts SET name = @name, settings = @settings WHERE id = @id').run({ id, ...fields });
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM accounts WHERE id = ?').run(id);
  }

  /** Every account strictly below `prefix` whose settings are set (for re-pushing ownership). */
  countSubtree(prefix: string): number {
    const r = this.db.prepare('SELECT count(*) AS n FROM accounts WHERE path >= ? AND path < ?').get(prefix, subtreeEnd(prefix)) as { n: number };
    return r.n;
  }
}
