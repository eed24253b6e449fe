/**
 * Durable telemetry commits without blocking the event loop. Ingest commits its group with
 * `synchronous=NORMAL` (in WAL mode: no sync at commit; checkpoints still sync the WAL before and
 * the database after, so a commit never reaches the database file unsynced), then this syncs the
 * WAL file on libuv's threadpool and only then lets the acks go. An acknowledged record is on disk
 * exactly as with `synchronous=FULL`, which syncs the same file at every commit, but the broker
 * keeps reading and validating the next group while the disk works (about 3 ms a sync here).
 * Syncs are themselves grouped: commits made while one is running share the next one.
 */
import { close, fsync, openSync } from 'node:fs';

export class WalSync {
  private waiting: ((ok: boolean) => void)[] = [];
  private syncing = false;
  private fd: number | undefined;
  private idle: (() => void)[] = [];

  /** `walPath`: the database file name followed by `-wal`. */
  constructor(
    private readonly walPath: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `then(true)` once everything committed before this call is on disk (false: sync failed). */
  after(then: (ok: boolean) => void): void {
    this.waiting.push(then);
    if (!this.syncing) this.run();
  }

  /** Resolves when no sync is running or waiting, and closes the file. */
  async stop(): Promise<void> {
    if (this.syncing) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.fd !== undefined) close(this.fd, () => undefined);
    this.fd = undefined;
  }

  private run(): void {
    const group = this.waiting;
    this.waiting = [];
    this.syncing = true;
    const finish = (err: unknown) => {
      if (err) this.onError(err);
      for (const then of group) then(!err);
      if (this.waiting.length > 0) return this.run();
      this.syncing = false;
      for (const resolve of this.idle.splice(0)) resolve();
    };
    try {
      // The WAL keeps its inode while the database is open (checkpoints reuse or truncate it).
      // Read-write: Windows flushes only handles opened for writing (FlushFileBuffers).
      this.fd ??= openSync(this.walPath, 'r+');
    } catch (err) {
      return void setImmediate(() => finish(err));
    }
    fsync(this.fd, finish); // as SQLite itself syncs the WAL at a synchronous=FULL commit
  }
}
