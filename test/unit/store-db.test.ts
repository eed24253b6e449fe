/**
 * The registry's database is opened for durable acknowledgements: WAL with synchronous=FULL
 * (NORMAL may roll back acknowledged commits on a power cut), foreign keys on, every migration
 * applied once, and a database from a newer registry refused rather than misread.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { DB_FILE, migrate, openDb } from '../../cloud/store/db.js';
import { MIGRATIONS } from '../../cloud/store/migrations.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

describe('registry database', () => {
  const tempDir = useTempDirs('store-db-');

  it('opens in WAL with synchronous=FULL and foreign keys, migrated to the latest version', () => {
    const db = openDb(tempDir());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies migrations once: reopening changes nothing', () => {
    const dir = tempDir();
    openDb(dir).close();
    const db = openDb(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('says when it upgrades an existing database, step by step, and nothing for a new or current one', () => {
    const lines: { obj: object; msg: string }[] = [];
    const log = { info: (obj: object, msg: string) => lines.push({ obj, msg }) };
    const dir = tempDir();
    openDb(dir, undefined, log).close();
    openDb(dir, undefined, log).close();
    expect(lines).toEqual([]);
    // A database one version behind, as the previous release left it.
    const older = tempDir();
    const db = new Database(join(older, DB_FILE));
    for (const [v, sql] of MIGRATIONS.slice(0, -1).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.close();
    openDb(older, undefined, log).close();
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(new RegExp(`^upgrading the database schema to version ${MIGRATIONS.length}: .*takes a while`)),
      `database schema now at version ${MIGRATIONS.length}`,
    ]);
    expect(lines[1]!.obj).toMatchObject({ version: MIGRATIONS.length, ms: expect.any(Number) });
  });

  it('refuses a database written by a newer registry', () => {
    const db = openDb(tempDir());
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this registry/);
    db.close();
  });
});
