/**
 * An online backup of the registry's SQLite database while the registry runs (CONTRACT.md,
 * "Processes"), with SQLite's backup API through better-sqlite3's `db.backup`.
 *
 *   npm run backup -- FILE          (DATA_DIR as for `npm start`, default ./data)
 *
 * The source is opened read-only. SQLite restarts a backup when another connection writes between
 * two steps; copying in slices shows progress, and after a restart the rest is copied in one step
 * (one read transaction, which WAL lets run beside the registry's writes), so a busy registry
 * cannot keep the backup from finishing. The copy is checked with PRAGMA quick_check. Errors are
 * one line on stderr and a non-zero exit.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../cloud/config.js';
import { DB_FILE } from '../cloud/store/db.js';

class UsageError extends Error {}

/** Pages per step before any restart: about 20 progress lines for a large database. */
const MIN_STEP_PAGES = 256;

function parseArgs(argv: readonly string[]): { target: string } {
  const [target, ...rest] = argv;
  if (!target || rest.length > 0) throw new UsageError('usage: npm run backup -- FILE (DATA_DIR selects the registry, default ./data)');
  if (existsSync(target)) throw new UsageError(`backup failed: ${target} already exists; choose a new file`);
  return { target: resolve(target) };
}

function openSource(dataDir: string): Database.Database {
  const path = join(dataDir, DB_FILE);
  if (!existsSync(path)) throw new UsageError(`backup failed: no registry database at ${path}; set DATA_DIR to the registry's data directory`);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Copies in slices while undisturbed; after a restart (remaining grew), all at once. */
async function copy(source: Database.Database, target: string, say: (line: string) => void): Promise<number> {
  let lastRemaining = Number.POSITIVE_INFINITY;
  let restarted = false;
  let lastPercent = -1;
  const meta = await source.backup(target, {
    progress({ totalPages, remainingPages }) {
      if (remainingPages > lastRemaining) restarted = true;
      lastRemaining = remainingPages;
      const percent = totalPages === 0 ? 100 : Math.floor(((totalPages - remainingPages) / totalPages) * 100);
      if (percent !== lastPercent) say(`backup: ${percent}% (${totalPages - remainingPages}/${totalPages} pages)${restarted ? ', restarted after a write' : ''}`);
      lastPercent = percent;
      return restarted ? Math.max(totalPages, 1) : Math.max(MIN_STEP_PAGES, Math.ceil(totalPages / 20));
    },
  });
  return meta.totalPages;
}

function verify(target: string): void {
  const copyDb = new Database(target, { readonly: true, fileMustExist: true });
  try {
    const result = copyDb.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new Error(`the copy failed its integrity check: ${String(result)}`);
  } finally {
    copyDb.close();
  }
}

async function main(): Promise<void> {
  const { target } = parseArgs(process.argv.slice(2));
  const config = loadConfig({ DATA_DIR: process.env.DATA_DIR });
  const source = openSource(config.DATA_DIR);
  try {
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const pages = await copy(source, target, say);
    verify(target);
    say(`backup complete: ${target} (${pages} pages, ${statSync(target).size} bytes, integrity ok)`);
  } finally {
    source.close();
  }
}

main().catch((e: unknown) => {
  const known = e instanceof UsageError || e instanceof ConfigError;
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${known ? message : `backup failed: ${message.split('\n')[0]}`}\n`);
  process.exit(known ? 2 : 1);
});
