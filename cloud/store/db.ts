/**
 * Opens the registry's SQLite database: WAL with synchronous=FULL (an acknowledgement means the
 * commit is on disk; NORMAL may roll back acknowledged commits on a power cut), foreign keys on,
 * migrations applied at start.
 */
import Database, { type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DB_FILE = 'registry.db';

/** Where schema upgrades of an existing database are reported (they may take a while). */
export type MigrationLog = { info(obj: object, msg: string): void };

export function openDb(dataDir: string, file = DB_FILE, log?: MigrationLog): Db {
  const path = join(dataDir, file);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (default 2 MiB): account and device rows carry long paths, and the hot
  // indexes of a 100 000-device fleet then stay in memory.
  db.pragma('cache_size = -65536');
  // A bulk move grows the WAL to ~50 MB; once checkpointed, the file is cut back to this (64 MiB)
  // instead of staying at its largest size forever.
  db.pragma('journal_size_limit = 67108864');
  migrate(db, log);
  return db;
}

/**
 * Brings the schema to the latest version, one transaction per step. Upgrading a database that
 * holds data logs each step before and after it: a step that rebuilds a telemetry index reads the
 * whole table, minutes on a large one, and the operator should see why the start waits.
 */
export function migrate(db: Db, log?: MigrationLog): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this registry (${MIGRATIONS.length}); upgrade the registry`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const started = performance.now();
    if (current > 0) log?.info({ mod: 'db', from: v, to: v + 1 }, `upgrading the database schema to version ${v + 1}: on a large database this takes a while (each step is one transaction: stopped, it leaves the old schema)`);
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
    if (current > 0) log?.info({ mod: 'db', version: v + 1, ms: Math.round(performance.now() - started) }, `database schema now at version ${v + 1}`);
  }
}

const caches = new WeakMap<Db, Map<string, Statement>>();

/**
 * Prepared statements of a connection, by SQL text: prepared once and reused (better-sqlite3's
 * prepare costs tens of microseconds, more than most of our queries).
 */
export function statements(db: Db): (sql: string) => Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const own = cache;
  return (sql) => {
    let st = own.get(sql);
    if (!st) own.set(sql, (st = db.prepare(sql)));
    return st;
  };
}
