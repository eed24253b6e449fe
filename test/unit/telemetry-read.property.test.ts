/**
 * Reading a device's telemetry for one caller (cloud/store/telemetry-store.ts): records attributed
 * to owners inside the caller's subtree, in (ts, stream, seq) order both ways, each page after the
 * last record of the one before. Checked against a plain filter-and-sort of the same records on
 * random histories: several owners in a small tree (so a root merges ranges of several owners),
 * several streams and many equal timestamps (so the order's later terms decide), random page
 * sizes. Also: a database written before migration 3 lists its owners once it is migrated.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_FILE, openDb } from '../../cloud/store/db.js';
import { MIGRATIONS } from '../../cloud/store/migrations.js';
import { TelemetryStore, type TelemetryRow } from '../../cloud/store/telemetry-store.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

/** Root r with children a and b; a has a child c. Paths as the registry writes them. */
const OWNERS = [
  { id: 'r', path: 'r/' },
  { id: 'a', path: 'r/a/' },
  { id: 'c', path: 'r/a/c/' },
  { id: 'b', path: 'r/b/' },
] as const;
const STREAMS = ['stream-aaaa', 'stream-bbbb', 'stream-Zzzz'];

interface Rec { owner: number; stream: number; ts: number }

const history = fc.array(
  fc.record({ owner: fc.nat(OWNERS.length - 1), stream: fc.nat(STREAMS.length - 1), ts: fc.integer({ min: 0, max: 12 }) }),
  { maxLength: 60 },
);

const tempDir = useTempDirs('telemetry-read-');

/** Stores the records of two devices (the second a decoy that must never show up). */
function fill(store: TelemetryStore, recs: Rec[]): void {
  const seqs = new Map<string, number>();
  for (const device of ['dev-1', 'dev-2']) {
    for (const r of recs) {
      const owner = OWNERS[r.owner]!;
      const id = `${device} ${r.stream}`;
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      const row: TelemetryRow = {
        device_id: device, stream: STREAMS[r.stream]!, seq, epoch: 1, ts: r.ts, kind: 'obd', data: '{}',
        account_id: owner.id, account_path: owner.path, received_at: 1,
      };
      store.insert(row);
    }
  }
}

const keyOf = (r: TelemetryRow): [number, string, number] => [r.ts, r.stream, r.seq];
const cmp = (x: TelemetryRow, y: TelemetryRow) => x.ts - y.ts || (x.stream < y.stream ? -1 : x.stream > y.stream ? 1 : 0) || x.seq - y.seq;

/** Every page of one caller's walk, concatenated. */
function walk(store: TelemetryStore, prefix: string, desc: boolean, limit: number, from: number, to: number): TelemetryRow[] {
  const out: TelemetryRow[] = [];
  let after: [number, string, number] | null = null;
  for (;;) {
    const page = store.read({ deviceId: 'dev-1', prefix, from, to, after, limit, desc });
    out.push(...page);
    if (page.length < limit) return out;
    after = keyOf(page.at(-1)!);
  }
}

describe('telemetry read', () => {
  it('pages exactly the records attributed inside the caller subtree, in order, both ways', () => {
    const db = openDb(tempDir());
    try {
      fc.assert(
        fc.property(history, fc.nat(OWNERS.length - 1), fc.boolean(), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 13 }), (recs, caller, desc, limit, t1, t2) => {
          db.exec('DELETE FROM telemetry_rows; DELETE FROM telemetry_device_owners; DELETE FROM streams; DELETE FROM telemetry_owners; DELETE FROM telemetry_devices');
          const store = new TelemetryStore(db);
          db.transaction(() => fill(store, recs))();
          const prefix = OWNERS[caller]!.path;
          const [from, to] = [Math.min(t1, t2), Math.max(t1, t2)];
          const all = walk(store, prefix, false, 1000, 0, Number.MAX_SAFE_INTEGER);
          expect(all.every((r) => r.device_id === 'dev-1')).toBe(true);
          const expected = all
            .filter((r) => r.account_path.startsWith(prefix) && r.ts >= from && r.ts < to)
            .sort((x, y) => (desc ? -cmp(x, y) : cmp(x, y)));
          const got = walk(store, prefix, desc, limit, from, to);
          expect(got.map(keyOf)).toEqual(expected.map(keyOf));
          const count = recs.filter((r) => OWNERS[r.owner]!.path.startsWith(prefix)).length;
          expect(all).toHaveLength(count);
          expect(store.anyAttributed('dev-1', prefix)).toBe(count > 0);
        }),
        { numRuns: 150 },
      );
    } finally {
      db.close();
    }
  });

  it('a database from before migration 3 lists which owners hold records of each device once migrated', () => {
    const dir = tempDir();
    const old = new Database(join(dir, DB_FILE));
    for (const [v, sql] of MIGRATIONS.slice(0, 2).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${v + 1}`);
    }
    old.exec(`
      INSERT INTO telemetry_devices (key, device_id) VALUES (1, 'dev-1'), (2, 'dev-2');
      INSERT INTO telemetry_owners (key, account_id, account_path) VALUES (1, 'a', 'r/a/'), (2, 'b', 'r/b/');
      INSERT INTO streams (key, device_key, stream, up_to) VALUES (1, 1, 'stream-aaaa', 3), (2, 2, 'stream-bbbb', 1);
      INSERT INTO telemetry_rows (device_key, stream_key, seq, epoch, ts, kind, data, owner_key, received_at)
        VALUES (1, 1, 1, 1, 10, 'obd', '{}', 1, 1), (1, 1, 2, 2, 20, 'obd', '{}', 2, 1), (1, 1, 3, 2, 30, 'obd', '{}', 2, 1),
               (2, 2, 1, 1, 10, 'obd', '{}', 1, 1);
    `);
    old.close();
    const db = openDb(dir); // migrates
    const store = new TelemetryStore(db);
    const seqs = (device: string, prefix: string) =>
      store.read({ deviceId: device, prefix, from: 0, to: 100, after: null, limit: 10, desc: false }).map((r) => r.seq);
    expect(seqs('dev-1', 'r/a/')).toEqual([1]);
    expect(seqs('dev-1', 'r/b/')).toEqual([2, 3]);
    expect(seqs('dev-1', 'r/')).toEqual([1, 2, 3]);
    expect(store.anyAttributed('dev-2', 'r/b/')).toBe(false);
    expect(store.anyAttributed('dev-2', 'r/a/')).toBe(true);
    db.close();
  });
});
