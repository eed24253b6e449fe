/**
 * GET /v1/accounts pages from its cursor (the store seeks to the cursor instead of scanning from
 * the subtree's first row): a walk answers every visible account once, in tree order, and a cursor
 * naming a path outside the caller's subtree (hand-made: cursors are base64url JSON of a path)
 * never widens what the caller sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../cloud/services/cursor.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let adminToken: string;
let adminPath: string;
let visible: string[];

beforeAll(async () => {
  reg = await startRegistry();
  const T = reg.rootToken;
  const left = await reg.createAccount(T, reg.rootAccountId, 'left');
  const mid = await reg.createAccount(T, reg.rootAccountId, 'mid');
  const right = await reg.createAccount(T, reg.rootAccountId, 'right');
  for (const side of [left, right]) for (let i = 0; i < 3; i++) await reg.createAccount(T, side.id);
  let parent = mid.id;
  for (let i = 0; i < 8; i++) parent = (await reg.createAccount(T, i % 3 === 0 ? mid.id : parent)).id;
  adminToken = (await reg.createUser(T, mid.id, { deviceAccess: 'full', accountAdmin: true })).token;
  adminPath = (reg.db.prepare('SELECT path FROM accounts WHERE id = ?').pluck().get(mid.id) as string);
  visible = reg.db.prepare("SELECT id FROM accounts WHERE substr(path, 1, length(?)) = ? ORDER BY path").pluck().all(adminPath, adminPath) as string[];
}, 60_000);
afterAll(async () => {
  await reg.close();
});

const page = async (cursor?: string, limit = 3) => {
  const a = await reg.req('GET', `/v1/accounts?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken });
  expect(a.status).toBe(200);
  return a.body as { items: { id: string }[]; nextCursor: string | null };
};

describe('GET /v1/accounts paging', () => {
  it('walks every visible account once, in tree order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const p = await page(cursor);
      seen.push(...p.items.map((x) => x.id));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(visible.length).toBe(9);
    expect(seen).toEqual(visible);
  });

  it('a cursor before the subtree starts at its first account; one after it answers nothing', async () => {
    expect((await page(encodeCursor('/'), 100)).items.map((x) => x.id)).toEqual(visible);
    expect((await page(encodeCursor(''), 100)).items.map((x) => x.id)).toEqual(visible);
    expect((await page(encodeCursor(`${adminPath.slice(0, -1)}0`), 100)).items).toEqual([]);
    expect((await page(encodeCursor('\u{10FFFF}'), 100)).items).toEqual([]);
  });

  it('a cursor inside the subtree continues right after it', async () => {
    const third = reg.db.prepare('SELECT path FROM accounts WHERE id = ?').pluck().get(visible[2]) as string;
    expect((await page(encodeCursor(third), 100)).items.map((x) => x.id)).toEqual(visible.slice(3));
  });
});
