/**
 * Device fixtures on top of test/helpers/registry.ts: register through the API, or seed thousands
 * of rows directly in SQL (the registration path hashes a secret per device; seeding skips that),
 * and read the device tables whole to compare before and after a refused request.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../cloud/store/db.js';
import type { TestRegistry } from './registry.js';

/** A random, well-formed unit id (24 lower-case hex digits). */
export const unitIdOf = () => randomBytes(12).toString('hex');

/** POST /v1/devices as root; throws unless 201. */
export async function registerDevice(reg: TestRegistry, accountId?: string, unitId = unitIdOf()) {
  const a = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId, ...(accountId ? { accountId } : {}) } });
  if (a.status !== 201) throw new Error(`register: ${a.status} ${a.text}`);
  return a.body as { id: string; unitId: string; secret: string; accountId: string; epoch: number };
}

/** Inserts `n` live devices owned by `accountId`, each with an open epoch-1 interval from `now`. */
export function seedDevices(db: Db, accountId: string, n: number, now = 1_700_000_000_000): { id: string; unitId: string }[] {
  const { path } = db.prepare('SELECT path FROM accounts WHERE id = ?').get(accountId) as { path: string };
  const dev = db.prepare(
    `INSERT INTO devices (id, unit_id, name, account_id, account_path, epoch, issued_at, secret_hash, created_at)
     VALUES (?, ?, ?, ?, ?, 1, ?, 'scrypt$256$8$1$AAAA$AAAA', ?)`,
  );
  const own = db.prepare('INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts) VALUES (?, 1, ?, ?, ?, NULL)');
  const made: { id: string; unitId: string }[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const d = { id: randomUUID(), unitId: unitIdOf() };
      dev.run(d.id, d.unitId, `seed ${i}`, accountId, path, now, now);
      own.run(d.id, accountId, path, now);
      made.push(d);
    }
  })();
  return made;
}

/** Every row of devices and ownership, ordered: equal before and after means nothing changed. */
export function deviceTables(db: Db): { devices: unknown[]; ownership: unknown[] } {
  return {
    devices: db.prepare('SELECT * FROM devices ORDER BY id').all(),
    ownership: db.prepare('SELECT * FROM ownership ORDER BY device_id, epoch').all(),
  };
}

export interface IntervalView {
  accountId: string | null;
  epoch: number;
  from: number;
  to: number | null;
}

/**
 * The history invariant of one device: epochs 1.. or n.. without holes, each interval ends where
 * the next begins (no gap, no overlap), only the last is open, and it matches the device row.
 * Answers a list of problems (empty when sound).
 */
export function historyProblems(history: readonly IntervalView[], device: { epoch: number; accountId: string }): string[] {
  const out: string[] = [];
  history.forEach((h, i) => {
    const next = history[i + 1];
    if (next && next.epoch !== h.epoch + 1) out.push(`epoch ${h.epoch} is followed by ${next.epoch}`);
    if (next && h.to !== next.from) out.push(`interval ${h.epoch} ends at ${h.to}, the next starts at ${next.from}`);
    if (!next && h.to !== null) out.push(`the last interval ${h.epoch} is closed`);
    if (h.to !== null && h.to < h.from) out.push(`interval ${h.epoch} ends before it starts`);
  });
  const last = history[history.length - 1];
  if (!last || last.epoch !== device.epoch || last.accountId !== device.accountId) out.push(`the open interval does not match the device (${JSON.stringify(last)})`);
  return out;
}
