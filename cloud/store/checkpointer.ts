/**
 * WAL checkpoints off the request path. By default SQLite checkpoints inside the commit that pushes
 * the WAL past 1000 pages: that request then copies every page it wrote a second time (WAL to the
 * database file) and fsyncs the database file before it answers. A bulk move of 10 000 devices
 * dirties ~50 MB, so that copy was 100 to 250 ms of the request, on the event loop.
 *
 * The checkpointer runs PASSIVE checkpoints from a worker thread on its own connection, so they
 * hold neither the event loop nor the write lock (SQLite: "Checkpoint as many frames as possible
 * without waiting for any database readers or writers to finish"). Meanwhile the main connection's
 * automatic checkpoint is raised, not disabled, to `fallbackPages`: should the worker die, the WAL
 * is still bounded and checkpointed the old way. `stop()` checkpoints once more and restores the
 * default.
 *
 * A PASSIVE checkpoint alone never lets the WAL start over while commits keep coming (telemetry
 * ingest commits a few hundred times a second): SQLite rewinds the log only when a writer finds
 * every frame already copied, and new frames always arrive during the checkpoint. The WAL then grew
 * by ~40 MB/s under load until the fallback checkpoint, 256 MiB, ran inside a commit on the event
 * loop. So once the WAL holds `restartFrames`, the PASSIVE copy (the bulk, without blocking anyone)
 * is followed by a RESTART checkpoint: it copies the few frames committed meanwhile and makes the
 * next writer start the log from its beginning. It holds writers off only while it copies that
 * tail (a few ms). It is skipped when a reader on an older snapshot (a backup) kept the PASSIVE
 * from copying everything, and with a 20 ms busy timeout it gives up rather than hold writers while
 * it waits for a reader; the next round tries again.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Db } from './db.js';

/** What one PASSIVE checkpoint reported (PRAGMA wal_checkpoint). */
export interface CheckpointResult {
  /** 1 when another checkpoint held the checkpoint lock (nothing was done). */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames of the WAL now copied into the database file. */
  checkpointed: number;
  /** Whether a RESTART followed, so that the next writer starts the WAL from its beginning. */
  restarted: boolean;
}

export interface CheckpointerOptions {
  /** Interval between PASSIVE checkpoints, ms. Default 250 (the WAL then stays near 12 MB at 40 MB/s). */
  everyMs?: number;
  /** WAL frames from which a PASSIVE checkpoint is followed by a RESTART. Default 1024 (4 MiB). */
  restartFrames?: number;
  /**
   * `wal_autocheckpoint` of the main connection while the worker runs (pages). Default 65536
   * (256 MiB at 4 KiB pages): far above what one request writes, so it fires only if the worker
   * stops checkpointing.
   */
  fallbackPages?: number;
  /** Where worker failures are reported. */
  log?: Pick<Logger, 'warn'>;
}

export interface Checkpointer {
  /** Runs a PASSIVE checkpoint now (in the worker) and answers what it did. */
  checkpointNow(): Promise<CheckpointResult>;
  /** Final checkpoint, worker closed, default automatic checkpoint restored. */
  stop(): Promise<void>;
}

/** SQLite's default `wal_autocheckpoint` (pages). */
const DEFAULT_AUTOCHECKPOINT = 1000;

/** The worker: CommonJS evaluated from a string, so it needs no file of its own next to the build. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_size_limit = ' + workerData.journalLimit);
const busyTimeout = db.pragma('busy_timeout', { simple: true });
const checkpoint = () => {
  const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  r.restarted = false;
  // Only when the PASSIVE copied every frame: a reader on an older snapshot (a backup) would hold it.
  if (r.busy !== 0 || r.log < workerData.restartFrames || r.checkpointed < r.log) return r;
  db.pragma('busy_timeout = 20');
  try { r.restarted = db.pragma('wal_checkpoint(RESTART)')[0].busy === 0; } finally { db.pragma('busy_timeout = ' + busyTimeout); }
  return r;
};
const timer = setInterval(() => { try { checkpoint(); } catch (e) { parentPort.postMessage({ error: String(e) }); } }, workerData.everyMs);
parentPort.on('message', (m) => {
  try {
    if (m.stop) { clearInterval(timer); checkpoint(); db.close(); parentPort.postMessage({ id: m.id, stopped: true }); parentPort.close(); return; }
    parentPort.postMessage({ id: m.id, result: checkpoint() });
  } catch (e) { parentPort.postMessage({ id: m.id, error: String(e) }); }
});
`;

/** Starts checkpointing `db`'s file from a worker thread. `db` must be a file in WAL mode. */
export function startCheckpointer(db: Db, options: CheckpointerOptions = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const journalLimit = db.pragma('journal_size_limit', { simple: true }) as number;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file: db.name, everyMs: options.everyMs ?? 250, restartFrames: options.restartFrames ?? 1024, journalLimit },
  });
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 65536}`);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  let alive = true;
  let stopping = false;
  const fail = (why: string) => {
    options.log?.warn({ mod: 'checkpointer', err: why }, 'WAL checkpointer failed; automatic checkpoints restored');
    if (!stopping && db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
  };
  worker.on('message', (m: { id?: number; error?: string; result?: CheckpointResult }) => {
    if (m.id === undefined) return fail(m.error ?? 'unknown');
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  worker.on('error', (e) => fail(e.message));
  worker.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('checkpointer stopped'));
    waiting.clear();
    if (!stopping) fail('worker exited');
    alive = false;
  });
  const ask = (msg: object) =>
    new Promise<unknown>((resolve, reject) => {
      if (!alive) return reject(new Error('checkpointer stopped'));
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id });
    });
  return {
    checkpointNow: () => ask({}) as Promise<CheckpointResult>,
    async stop() {
      if (!alive || stopping) return;
      stopping = true;
      worker.ref(); // the final checkpoint must finish even if nothing else keeps the process up
      await ask({ stop: true }).catch(() => undefined);
      alive = false;
      await worker.terminate();
      if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
    },
  };
}
