// A second writer on the registry's database file, in its own thread: it takes the write lock
// (BEGIN IMMEDIATE), moves the given devices the way the registry does (epoch + 1, close the open
// interval, open a new one), tells the test it holds the lock, holds it for `holdMs`, commits.
// Plain JavaScript so a worker thread can load it without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, deviceIds, accountId, accountPath, now, holdMs } = workerData;
const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
for (const id of deviceIds) {
  db.prepare('UPDATE ownership SET to_ts = ? WHERE device_id = ? AND to_ts IS NULL').run(now, id);
  const { epoch } = db
    .prepare('UPDATE devices SET account_id = ?, account_path = ?, epoch = epoch + 1, issued_at = ? WHERE id = ? RETURNING epoch')
    .get(accountId, accountPath, now, id);
  db.prepare('INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts) VALUES (?, ?, ?, ?, ?, NULL)')
    .run(id, epoch, accountId, accountPath, now);
}
parentPort.postMessage('locked');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
db.exec('COMMIT');
db.close();
parentPort.postMessage('committed');
