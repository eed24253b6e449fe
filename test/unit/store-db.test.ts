/**
 * The registry's database is opened for durable acknowledgements: WAL with synchronous=FULL
 * (NORMAL may roll back acknowledged commits on a power cut), foreign keys on, every migration
 * applied once, and a database from a newer registry refused rather than misread.
 */
import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../cloud/store/db.js';
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

  it('refuses a database written by a newer registry', () => {
    const db = openDb(tempDir());
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this registry/);
    db.close();
  });
});
