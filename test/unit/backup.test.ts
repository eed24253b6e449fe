/**
 * `npm run backup -- FILE` (scripts/backup.ts): an online backup of a registry that keeps writing
 * while it runs. The copy opens, passes its integrity check and holds the rows; errors are one line
 * and a non-zero exit.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, compileEntry } from '../helpers/compile.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const OUT = join(REPO, 'dist', `registry-test-backup-${process.pid}`);
const PREFILL = 20_000;
let backupJs: string;
let reg: TestRegistry;
let out: string;

beforeAll(async () => {
  backupJs = compileEntry('scripts/backup.ts', OUT);
  reg = await startRegistry();
  out = mkdtempSync(join(tmpdir(), 'registry-backup-'));
  // Enough rows for a multi-megabyte file, so the copy takes many steps.
  const root = reg.services.ctx.accounts.root()!;
  reg.db.transaction(() => {
    for (let i = 0; i < PREFILL; i++) {
      const id = randomUUID();
      reg.services.ctx.accounts.insert({ id, name: `prefill ${i} ${'x'.repeat(100)}`, parent_id: root.id, path: `${root.path}${id}/`, depth: 1, settings: '{}', created_at: i });
    }
  })();
}, 180_000);
afterAll(async () => {
  await reg.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

function runBackup(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [backupJs, ...args], { env: { PATH: process.env.PATH, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const count = (db: Database.Database, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('online backup', () => {
  it('copies a registry that keeps writing; the copy opens and has the rows', async () => {
    const target = join(out, 'while-writing.db');
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const a = await reg.req('POST', '/v1/accounts', { token: reg.rootToken, body: { name: `during ${written}`, parentId: reg.rootAccountId } });
        expect(a.status).toBe(201);
        written++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const before = count(reg.db, 'accounts');
    const result = await runBackup([target], reg.dir);
    writing = false;
    await writer;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/backup: \d+% \(\d+\/\d+ pages\)/);
    expect(result.stdout).toContain(`backup complete: ${target}`);
    expect(written).toBeGreaterThan(0);

    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const n = count(copy, 'accounts');
      expect(n).toBeGreaterThanOrEqual(before);
      expect(n).toBeLessThanOrEqual(count(reg.db, 'accounts'));
      expect(n).toBeGreaterThan(PREFILL);
      expect(count(copy, 'users')).toBe(1);
      expect(copy.pragma('user_version', { simple: true })).toBe(reg.db.pragma('user_version', { simple: true }));
      // Every account in the copy is one the registry has, unchanged.
      const last = copy.prepare('SELECT * FROM accounts ORDER BY created_at DESC, id LIMIT 1').get() as { id: string };
      expect(reg.db.prepare('SELECT * FROM accounts WHERE id = ?').get(last.id)).toEqual(last);
    } finally {
      copy.close();
    }
  }, 60_000);

  it('refuses to overwrite a file, in one line', async () => {
    const target = join(out, 'exists.db');
    writeFileSync(target, 'keep me');
    const r = await runBackup([target], reg.dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('already exists');
  });

  it('says which directory holds no database, in one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'registry-empty-'));
    try {
      const r = await runBackup([join(out, 'nothing.db')], empty);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('DATA_DIR');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints its usage without a file', async () => {
    const r = await runBackup([], reg.dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^usage: npm run backup -- FILE/);
  });
});
