/**
 * The WAL checkpointer (cloud/store/checkpointer.ts): with it running, a large commit is not copied
 * into the database file by the committing connection (in WAL mode the database file changes only
 * at a checkpoint, so its size shows who checkpointed); the worker's checkpoint copies it; readers on
 * other connections see every commit throughout; under continuous commits it still makes the log
 * start over; stop() brings back SQLite's own checkpoints.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer, type CheckpointResult } from '../../cloud/store/checkpointer.js';
import { DB_FILE, openDb, type Db } from '../../cloud/store/db.js';

let dir: string;
let db: Db;
let ck: Checkpointer | undefined;

/** Commits `n` rows of ~1 KB in one transaction: about n/4 pages of WAL. */
function bigCommit(n: number): void {
  const st = db.prepare('INSERT INTO filler (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) st.run('x'.repeat(1000) + i);
  })();
}
const dbBytes = () => statSync(join(dir, DB_FILE)).size;
const walBytes = () => statSync(join(dir, `${DB_FILE}-wal`)).size;

/**
 * `commits` small commits back to back, as telemetry ingest makes them under load, with one
 * checkpoint of the worker always running meanwhile, so frames keep arriving while it copies.
 * Each commit carries 3 KB of rows: the WAL receives at least `commits * 3000` bytes in all.
 *
 * `perRound` caps the commits that land during one checkpoint, as the checkpointer's timer does in
 * the registry (there by time, here by count). Without a cap, a worker starved of CPU by the other
 * test files running beside this one lets thousands of commits through one checkpoint, and the size
 * of the WAL then measures the machine's load rather than the checkpointer.
 */
async function commitDuringCheckpoints(
  c: Checkpointer,
  commits: number,
  perRound: number,
): Promise<{ written: number; results: CheckpointResult[] }> {
  const st = db.prepare('INSERT INTO filler (v) VALUES (?)');
  const results: CheckpointResult[] = [];
  for (let i = 0; i < commits; ) {
    let done = false;
    const round = c.checkpointNow().then((r) => (results.push(r), (done = true)));
    for (let k = 0; k < perRound && i < commits && !done; k++, i++) {
      db.transaction(() => {
        for (let j = 0; j < 3; j++) st.run('x'.repeat(1000) + i);
      })();
      await new Promise((r) => setImmediate(r));
    }
    await round;
  }
  return { written: commits * 3000, results };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'devices-checkpointer-'));
  db = openDb(dir);
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  db.pragma('wal_checkpoint(TRUNCATE)');
});
afterEach(async () => {
  await ck?.stop();
  ck = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('WAL checkpointer', () => {
  it('without it, the commit that passes 1000 pages checkpoints itself (the cost it removes)', () => {
    const before = dbBytes();
    bigCommit(8000);
    expect(dbBytes()).toBeGreaterThan(before + 4_000_000);
  });

  it('keeps checkpoints out of the commit and copies the WAL from its worker', async () => {
    ck = startCheckpointer(db, { everyMs: 3_600_000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(65536);
    const before = dbBytes();
    bigCommit(8000);
    expect(dbBytes()).toBe(before);
    const reader = new Database(join(dir, DB_FILE), { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM filler').pluck().get()).toBe(8000);
    const r = await ck.checkpointNow();
    expect(r.busy).toBe(0);
    expect(r.checkpointed).toBe(r.log);
    expect(r.log).toBeGreaterThan(1000);
    expect(dbBytes()).toBeGreaterThan(before + 4_000_000);
    expect(reader.prepare('SELECT count(*) FROM filler').pluck().get()).toBe(8000);
    reader.close();
  });

  it('checkpoints on its own timer', async () => {
    ck = startCheckpointer(db, { everyMs: 20 });
    const before = dbBytes();
    bigCommit(8000);
    const deadline = Date.now() + 10_000;
    while (dbBytes() < before + 4_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(dbBytes()).toBeGreaterThan(before + 4_000_000);
  });

  it('keeps the WAL from growing without end under continuous commits: it makes the log start over', async () => {
    ck = startCheckpointer(db, { everyMs: 3_600_000, restartFrames: 64 });
    const { written, results } = await commitDuringCheckpoints(ck, 4000, 40);
    expect(results.some((r) => r.restarted)).toBe(true);
    // Each successful RESTART sends the next writer back to the start of the file, so its size is
    // the longest stretch between two of them: 0.8-3.1 MB here, also with six busy loops beside the
    // test on two cores, where the same commits make the WAL 49 MB without it (next test).
    expect(walBytes()).toBeLessThan(written);
  });

  it('(a PASSIVE checkpoint alone, the way it was, lets the WAL grow by everything committed)', async () => {
    ck = startCheckpointer(db, { everyMs: 3_600_000, restartFrames: Number.MAX_SAFE_INTEGER });
    // Commits never pause for a checkpoint here, as under steady ingest: each PASSIVE copies what
    // it found while more frames arrive, so no writer ever finds the log fully copied.
    const { written, results } = await commitDuringCheckpoints(ck, 4000, Number.POSITIVE_INFINITY);
    expect(results.some((r) => r.restarted)).toBe(false);
    expect(walBytes()).toBeGreaterThan(2 * written);
  });

  it('does not RESTART while a reader holds an older snapshot (a backup), and does once it is done', async () => {
    ck = startCheckpointer(db, { everyMs: 3_600_000, restartFrames: 8 });
    bigCommit(100);
    const reader = new Database(join(dir, DB_FILE), { readonly: true });
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT count(*) FROM filler').pluck().get()).toBe(100);
    bigCommit(100);
    const held = await ck.checkpointNow();
    expect(held.checkpointed).toBeLessThan(held.log);
    expect(held.restarted).toBe(false);
    reader.exec('COMMIT');
    reader.close();
    const free = await ck.checkpointNow();
    expect(free.checkpointed).toBe(free.log);
    expect(free.restarted).toBe(true);
  });

  it('stop() checkpoints what is left and restores automatic checkpoints', async () => {
    ck = startCheckpointer(db, { everyMs: 3_600_000 });
    bigCommit(4000);
    const before = dbBytes();
    await ck.stop();
    expect(dbBytes()).toBeGreaterThan(before);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await expect(ck.checkpointNow()).rejects.toThrow(/stopped/);
    const after = dbBytes();
    bigCommit(8000);
    expect(dbBytes()).toBeGreaterThan(after + 4_000_000);
  });
});
