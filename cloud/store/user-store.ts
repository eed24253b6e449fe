/** SQL for users and their tokens (sessions and API tokens). */
import type { Statement } from 'better-sqlite3';
import { statements, type Db } from './db.js';
import type { DeviceAccess } from '../domain/permissions.js';

export interface UserRow {
  id: string;
  account_id: string;
  email: string;
  name: string;
  password_hash: string;
  device_access: DeviceAccess;
  account_admin: 0 | 1;
  created_at: number;
}

/** A user joined with its account's path: what the permission rule needs about an actor. */
export interface UserWithPath extends UserRow {
  account_path: string;
}

export interface TokenRow {
  id: string;
  user_id: string;
  kind: 'session' | 'api';
  name: string;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number | null;
}

const WITH_PATH = 'SELECT u.*, a.path AS account_path FROM users u JOIN accounts a ON a.id = u.account_id';

export class UserStore {
  private readonly st: (sql: string) => Statement;

  constructor(db: Db) {
    this.st = statements(db);
  }

  get(id: string): UserWithPath | undefined {
    return this.st(`${WITH_PATH} WHERE u.id = ?`).get(id) as UserWithPath | undefined;
  }

  byEmail(email: string): UserWithPath | undefined {
    return this.st(`${WITH_PATH} WHERE u.email = ?`).get(email) as UserWithPath | undefined;
  }

  listByAccount(accountId: string, afterId: string | null, limit: number): UserRow[] {
    return this.st('SELECT * FROM users WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(accountId, afterId ?? '', limit) as UserRow[];
  }

  insert(row: UserRow): void {
    this.st(
        `INSERT INTO users (id, account_id, email, name, password_hash, device_access, account_admin, created_at)
         VALUES (@id, @account_id, @email, @name, @password_hash, @device_access, @account_admin, @created_at)`,
      )
      .run(row);
  }

  update(id: string, f: Pick<UserRow, 'name' | 'device_access' | 'account_admin' | 'password_hash'>): void {
    this.st(
        `UPDATE users SET name = @name, device_access = @device_access, account_admin = @account_admin,
         password_hash = @password_hash WHERE id = @id`,
      )
      .run({ id, ...f });
  }

  delete(id: string): void {
    this.st('DELETE FROM users WHERE id = ?').run(id);
  }

  /** Admins with full device access on the account (the no-lock-out rule counts them). */
  countFullAdmins(accountId: string): number {
    const r = this.st("SELECT count(*) AS n FROM users WHERE account_id = ? AND account_admin = 1 AND device_access = 'full'")
      .get(accountId) as { n: number };
    return r.n;
  }

  // --- tokens

  insertToken(row: TokenRow): void {
    this.st(
        `INSERT INTO tokens (id, user_id, kind, name, secret_hash, created_at, expires_at)
         VALUES (@id, @user_id, @kind, @name, @secret_hash, @created_at, @expires_at)`,
      )
      .run(row);
  }

  tokenByHash(hash: Buffer): TokenRow | undefined {
    return this.st('SELECT * FROM tokens WHERE secret_hash = ?').get(hash) as TokenRow | undefined;
  }

  listTokens(userId: string, kind: 'api'): TokenRow[] {
    return this.st('SELECT * FROM tokens WHERE user_id = ? AND kind = ? ORDER BY created_at, id')
      .all(userId, kind) as TokenRow[];
  }

  deleteToken(id: string): void {
    this.st('DELETE FROM tokens WHERE id = ?').run(id);
  }

  deleteTokensOf(userId: string): void {
    this.st('DELETE FROM tokens WHERE user_id = ?').run(userId);
  }

  deleteExpiredTokens(now: number): number {
    return this.st('DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes;
  }
}
