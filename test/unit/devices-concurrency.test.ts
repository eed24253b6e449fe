/**
 * Moves racing moves, and readers paging while devices move (issue 4, Tests): two registries on
 * one database file take overlapping assigns over real HTTP; a writer in another thread holds the
 * write lock while an assign arrives; a client walks every page while another moves devices.
 * Afterwards every device's epochs and history must be sound: no lost update, no gap, no overlap.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../cloud/app.js';
import { loadConfig } from '../../cloud/config.js';
import { DB_FILE, openDb } from '../../cloud/store/db.js';
import { historyProblems, seedDevices } from '../helpers/devices-harness.js';
import { startRegistry, testClock, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let second: App | undefined;
const clock = testClock();
beforeEach(async () => {
  reg = await startRegistry({ now: clock.now });
});
afterEach(async () => {
  if (second) {
    await second.http.close();
    second.services.ctx.db.close();
    second = undefined;
  }
  await reg.close();
});

/** Listens on an ephemeral loopback port; answers the base URL. */
async function listen(app: App): Promise<string> {
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`;
}

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${reg.rootToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every device's history is sound and agrees with its row; answers the rows. */
function assertSound(ids: readonly string[]) {
  const root = { userId: reg.rootUserId, accountId: reg.rootAccountId, accountPath: reg.services.ctx.accounts.root()!.path, deviceAccess: 'full' as const, accountAdmin: true };
  return ids.map((id) => {
    const own = reg.services.devices.ownership(root, id);
    expect(historyProblems(own.history, { epoch: own.epoch, accountId: own.accountId }), id).toEqual([]);
    return own;
  });
}

const pick = <T>(xs: readonly T[], n: number, seed: number) => xs.filter((_, i) => (i * 7 + seed * 13) % xs.length < n);

describe('racing moves', () => {
  it('two registries on one database file: overlapping assigns lose no update', async () => {
    const targets = [await reg.createAccount(reg.rootToken, reg.rootAccountId), await reg.createAccount(reg.rootToken, reg.rootAccountId), await reg.createAccount(reg.rootToken, reg.rootAccountId)];
    const devices = seedDevices(reg.db, targets[0]!.id, 200, clock.now());
    second = await buildApp({ config: loadConfig({ DATA_DIR: reg.dir, LOG_LEVEL: 'silent' }), db: openDb(reg.dir), log: pino({ level: 'silent' }), now: clock.now });
    const bases = [await listen(reg.app), await listen(second)];
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, k) =>
        post(bases[k % 2]!, '/v1/devices/assign', { accountId: targets[k % 3]!.id, deviceIds: pick(devices, 150, k).map((d) => d.id) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Each device's epoch is 1 + the number of answers that moved it, and no two answers gave it
    // the same epoch: every move built on the one before.
    const given = new Map<string, number[]>();
    for (const a of answers) for (const it of a.body.items) if (it.status === 'moved') given.set(it.deviceId, [...(given.get(it.deviceId) ?? []), it.epoch]);
    const rows = assertSound(devices.map((d) => d.id));
    rows.forEach((own) => {
      const epochs = (given.get(own.deviceId) ?? []).sort((x, y) => x - y);
      expect(epochs).toEqual(epochs.map((_, i) => i + 2));
      expect(own.epoch).toBe(1 + epochs.length);
    });
  });

  it('an assign waits for another writer holding the lock, then plans from its result', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const b = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const devices = seedDevices(reg.db, reg.rootAccountId, 20, clock.now());
    const moved = devices.slice(0, 10).map((d) => d.id);
    const base = await listen(reg.app);
    clock.advance(100);
    const worker = new Worker(new URL('../helpers/devices-lock-worker.mjs', import.meta.url), {
      workerData: { file: join(reg.dir, DB_FILE), deviceIds: moved, accountId: a.id, accountPath: reg.services.ctx.accounts.get(a.id)!.path, now: clock.now(), holdMs: 300 },
    });
    const events: string[] = [];
    const committed = new Promise<void>((resolve) => worker.on('message', (m: string) => (events.push(m), m === 'committed' && resolve())));
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    clock.advance(100);
    const answer = await post(base, '/v1/devices/assign', { accountId: b.id, deviceIds: devices.map((d) => d.id) });
    events.push('answered');
    await committed;
    await worker.terminate();
    expect(answer.status).toBe(200);
    expect(events).toEqual(['locked', 'committed', 'answered']);
    // The first ten were at epoch 2 in a (the other writer's move), the rest at epoch 1 in root.
    expect(answer.body.items.slice(0, 10).map((i: { from: string; epoch: number }) => [i.from, i.epoch])).toEqual(moved.map(() => [a.id, 3]));
    expect(answer.body.items.slice(10).map((i: { from: string; epoch: number }) => [i.from, i.epoch])).toEqual(moved.map(() => [reg.rootAccountId, 2]));
    assertSound(devices.map((d) => d.id));
  });
});

describe('paging while devices move', () => {
  it('a walk sees every device that stays visible exactly once, and none twice', async () => {
    const top = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const inside = [await reg.createAccount(reg.rootToken, top.id), await reg.createAccount(reg.rootToken, top.id)];
    const outside = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const stay = [...seedDevices(reg.db, inside[0]!.id, 150, clock.now()), ...seedDevices(reg.db, inside[1]!.id, 150, clock.now())];
    const wander = seedDevices(reg.db, outside.id, 60, clock.now());
    const walker = await reg.createUser(reg.rootToken, top.id, { deviceAccess: 'read', accountAdmin: false });
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const r = await reg.req('GET', `/v1/devices?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: walker.token });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((d: { id: string }) => d.id));
      cursor = r.body.nextCursor;
      // Another client moves devices between the pages: within the walker's subtree (they stay
      // visible), and from outside in and back out (they may or may not be seen, never twice).
      clock.advance(3);
      page++;
      const within = pick(stay, 40, page).map((d) => d.id);
      expect((await reg.req('POST', '/v1/devices/assign', { token: reg.rootToken, body: { accountId: inside[page % 2]!.id, deviceIds: within } })).status).toBe(200);
      const wanderTo = page % 3 === 0 ? outside.id : inside[0]!.id;
      expect((await reg.req('POST', '/v1/devices/assign', { token: reg.rootToken, body: { accountId: wanderTo, deviceIds: pick(wander, 20, page).map((d) => d.id) } })).status).toBe(200);
    } while (cursor);
    expect(page).toBeGreaterThan(40);
    expect(new Set(seen).size).toBe(seen.length);
    const seenSet = new Set(seen);
    expect(stay.filter((d) => !seenSet.has(d.id))).toEqual([]);
    expect(seen.every((id) => stay.some((d) => d.id === id) || wander.some((d) => d.id === id))).toBe(true);
    assertSound([...stay, ...wander].map((d) => d.id));
  });
});
