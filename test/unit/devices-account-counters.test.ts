/**
 * Account counters (migration 2): `childCount`, `deviceCount` and `userCount` are columns kept by
 * triggers. After random sequences of REST operations (create/delete accounts and users, register,
 * import, move, decommission and re-register devices) every account's counters equal COUNT(*) over
 * the rows, and GET /v1/accounts answers them. A database made before migration 2 gets its counters
 * filled in by the migration.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../cloud/store/migrations.js';
import { migrate } from '../../cloud/store/db.js';
import { registerDevice, unitIdOf } from '../helpers/devices-harness.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

/** mulberry32: seeded, so a failure replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Accounts whose counters differ from COUNT(*) (live devices only), with both figures. */
function mismatches(db: Database.Database): unknown[] {
  return db
    .prepare(
      `SELECT id, child_count, device_count, user_count,
         (SELECT count(*) FROM accounts c WHERE c.parent_id = a.id) AS children,
         (SELECT count(*) FROM devices d WHERE d.account_id = a.id AND d.deleted_at IS NULL) AS devices,
         (SELECT count(*) FROM users u WHERE u.account_id = a.id) AS users
       FROM accounts a
       WHERE child_count != children OR device_count != devices OR user_count != users`,
    )
    .all();
}

let reg: TestRegistry | undefined;
afterEach(async () => {
  await reg?.close();
  reg = undefined;
});

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

describe('account counters', () => {
  it.each([1, 2])('match COUNT(*) after random operations (seed %i)', async (seed) => {
    const r = (reg = await startRegistry());
    const rand = prng(seed);
    const T = r.rootToken;
    const accounts = [r.rootAccountId];
    const users: string[] = [];
    const live: { id: string; unitId: string }[] = [];
    const gone: string[] = [];
    let changes = 0;
    for (let step = 0; step < 140; step++) {
      const op = rand();
      let a: { status: number };
      if (op < 0.18) {
        const made = await r.createAccount(T, pick(rand, accounts));
        accounts.push(made.id);
        a = { status: 201 };
      } else if (op < 0.28) {
        const id = pick(rand, accounts.slice(1).concat(r.rootAccountId));
        a = await r.req('DELETE', `/v1/accounts/${id}`, { token: T });
        if (a.status === 204) accounts.splice(accounts.indexOf(id), 1);
      } else if (op < 0.36 && users.length < 12) {
        const made = await r.createUser(T, pick(rand, accounts), { deviceAccess: 'read', accountAdmin: false });
        users.push(made.user.id);
        a = { status: 201 };
      } else if (op < 0.42 && users.length > 0) {
        const id = users.splice(Math.floor(rand() * users.length), 1)[0]!;
        a = await r.req('DELETE', `/v1/users/${id}`, { token: T });
      } else if (op < 0.55) {
        // A new unit, or one decommissioned earlier registered again (its epochs continue).
        const unitId = gone.length > 0 && rand() < 0.4 ? gone.pop()! : unitIdOf();
        live.push(await registerDevice(r, pick(rand, accounts), unitId));
        a = { status: 201 };
      } else if (op < 0.62) {
        const devices = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ unitId: unitIdOf(), accountId: pick(rand, accounts) }));
        a = await r.req('POST', '/v1/devices/import', { token: T, body: { devices } });
        if (a.status === 201) live.push(...(a as unknown as { body: { items: { id: string; unitId: string }[] } }).body.items);
      } else if (op < 0.7 && live.length > 0) {
        const [d] = live.splice(Math.floor(rand() * live.length), 1);
        a = await r.req('DELETE', `/v1/devices/${d!.id}`, { token: T });
        gone.push(d!.unitId);
      } else if (live.length > 0) {
        const some = live.filter(() => rand() < 0.5).map((d) => d.id);
        a = await r.req('POST', '/v1/devices/assign', { token: T, body: { accountId: pick(rand, accounts), deviceIds: some.length ? some : [live[0]!.id] } });
      } else continue;
      expect(a.status, `step ${step}`).toBeLessThan(500);
      if (a.status < 300) changes++;
      expect(mismatches(r.db), `after step ${step}`).toEqual([]);
    }
    expect(changes).toBeGreaterThan(60);
    // What a client reads: every account's counts in the list answer equal COUNT(*).
    const list = await r.req('GET', '/v1/accounts?limit=1000', { token: T });
    expect(list.status).toBe(200);
    const count = (sql: string, id: string) => r.db.prepare(sql).pluck().get(id) as number;
    for (const acc of list.body.items as { id: string; childCount: number; deviceCount: number; userCount: number }[]) {
      expect(acc.childCount).toBe(count('SELECT count(*) FROM accounts WHERE parent_id = ?', acc.id));
      expect(acc.deviceCount).toBe(count('SELECT count(*) FROM devices WHERE account_id = ? AND deleted_at IS NULL', acc.id));
      expect(acc.userCount).toBe(count('SELECT count(*) FROM users WHERE account_id = ?', acc.id));
    }
    expect((list.body.items as { deviceCount: number }[]).reduce((s, x) => s + x.deviceCount, 0)).toBe(live.length);
  }, 120_000);

  it('a non-empty account still answers 409 with its counts, and 204 once emptied', async () => {
    const r = (reg = await startRegistry());
    const acc = await r.createAccount(r.rootToken, r.rootAccountId);
    const child = await r.createAccount(r.rootToken, acc.id);
    const dev = await registerDevice(r, acc.id);
    const busy = await r.req('DELETE', `/v1/accounts/${acc.id}`, { token: r.rootToken });
    expect(busy.status).toBe(409);
    expect(busy.body.error.details).toEqual({ devices: 1, users: 0, children: 1 });
    expect((await r.req('DELETE', `/v1/devices/${dev.id}`, { token: r.rootToken })).status).toBe(204);
    expect((await r.req('DELETE', `/v1/accounts/${child.id}`, { token: r.rootToken })).status).toBe(204);
    const read = await r.req('GET', `/v1/accounts/${acc.id}`, { token: r.rootToken });
    expect(read.body).toMatchObject({ childCount: 0, deviceCount: 0, userCount: 0 });
    expect((await r.req('DELETE', `/v1/accounts/${acc.id}`, { token: r.rootToken })).status).toBe(204);
  }, 60_000);

  it('migration 2 fills the counters of a database made before it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devices-counters-'));
    const db = new Database(join(dir, 'old.db'));
    try {
      db.exec(MIGRATIONS[0]!);
      db.pragma('user_version = 1');
      const acc = db.prepare("INSERT INTO accounts (id, name, parent_id, path, depth, settings, created_at) VALUES (?, 'a', ?, ?, ?, '{}', 0)");
      const root = randomUUID();
      const kid = randomUUID();
      acc.run(root, null, `/${root}/`, 0);
      acc.run(kid, root, `/${root}/${kid}/`, 1);
      const user = db.prepare("INSERT INTO users (id, account_id, email, name, password_hash, device_access, account_admin, created_at) VALUES (?, ?, ?, 'u', 'x', 'full', 1, 0)");
      user.run(randomUUID(), root, 'a@test.local');
      user.run(randomUUID(), kid, 'b@test.local');
      user.run(randomUUID(), kid, 'c@test.local');
      const dev = db.prepare("INSERT INTO devices (id, unit_id, name, account_id, account_path, epoch, issued_at, secret_hash, created_at, deleted_at) VALUES (?, ?, 'd', ?, ?, 1, 0, 'x', 0, ?)");
      for (let i = 0; i < 5; i++) dev.run(randomUUID(), unitIdOf(), kid, `/${root}/${kid}/`, i < 2 ? 123 : null);
      migrate(db);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const counts = db.prepare('SELECT child_count, device_count, user_count FROM accounts WHERE id = ?');
      expect(counts.get(root)).toEqual({ child_count: 1, device_count: 0, user_count: 1 });
      expect(counts.get(kid)).toEqual({ child_count: 0, device_count: 3, user_count: 2 });
      expect(mismatches(db)).toEqual([]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
