/** SQL for the audit log: append-only, read by subtree scope. */
import type { Statement } from 'better-sqlite3';
import { statements, type Db } from './db.js';
import { subtreeEnd } from './paths.js';

export interface AuditRow {
  seq: number;
  ts: number;
  actor_id: string | null;
  actor_email: string | null;
  actor_path: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  scope_path: string;
  before: string | null;
  after: string | null;
}

export class AuditStore {
  private readonly st: (sql: string) => Statement;

  constructor(db: Db) {
    this.st = statements(db);
  }

  insert(row: Omit<AuditRow, 'seq'>): void {
    this.st(
        `INSERT INTO audit (ts, actor_id, actor_email, actor_path, action, resource_type, resource_id, scope_path, before, after)
         VALUES (@ts, @actor_id, @actor_email, @actor_path, @action, @resource_type, @resource_id, @scope_path, @before, @after)`,
      )
      .run(row);
  }

  /** Newest first, entries whose scope lies in the subtree of `prefix`, before `beforeSeq`. */
  listScope(prefix: string, beforeSeq: number | null, limit: number): AuditRow[] {
    return this.st(
        `SELECT * FROM audit WHERE scope_path >= ? AND scope_path < ? AND seq < ?
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(prefix, subtreeEnd(prefix), beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as AuditRow[];
  }
}
