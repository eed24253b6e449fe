/**
 * The audit log (issue 3, "Audit"): every change writes who, what, which resource, before and
 * after, never a secret; GET /v1/audit shows the caller's subtree only, paginated, with actors
 * above the caller shown as `{kind: "ancestor"}` (CONTRACT.md, "The permission rule").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_PASSWORD, startRegistry, type TestRegistry } from '../helpers/registry.js';

interface Entry {
  seq: number;
  ts: number;
  actor: { kind: string; id?: string; email?: string | null };
  action: string;
  resource: { type: string; id: string | null };
  before: any;
  after: any;
}

let reg: TestRegistry;
let A: string;
let B: string;
let C: string;
let adminA: { token: string; id: string; email: string };
/** Every secret that passed through the registry in this file. */
const secrets: string[] = [USER_PASSWORD];

async function walkAudit(token: string, limit: number): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | null = null;
  do {
    const a = await reg.req('GET', `/v1/audit?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(a.status, a.text).toBe(200);
    expect(a.body.items.length).toBeLessThanOrEqual(limit);
    out.push(...a.body.items);
    cursor = a.body.nextCursor;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  reg = await startRegistry();
  secrets.push(reg.rootToken);
  const t = reg.rootToken;
  A = (await reg.createAccount(t, reg.rootAccountId, 'A')).id;
  B = (await reg.createAccount(t, reg.rootAccountId, 'B')).id;
  const a = await reg.createUser(t, A, { deviceAccess: 'full', accountAdmin: true });
  adminA = { token: a.token, id: a.user.id, email: a.user.email };
  secrets.push(a.token);
  // Changes made by A's admin inside its subtree.
  C = (await reg.createAccount(a.token, A, 'C')).id;
  await reg.req('PATCH', `/v1/accounts/${C}`, { token: a.token, body: { name: 'C2', settings: { gnss: false } } });
  const u = await reg.createUser(a.token, C, { deviceAccess: 'read', accountAdmin: false });
  secrets.push(u.token, reg.services.ctx.users.get(u.user.id)!.password_hash);
  await reg.req('PATCH', `/v1/users/${u.user.id}`, { token: a.token, body: { name: 'Reader', password: 'a-new-secret-pw' } });
  secrets.push('a-new-secret-pw', reg.services.ctx.users.get(u.user.id)!.password_hash);
  await reg.req('DELETE', `/v1/users/${u.user.id}`, { token: a.token });
  const tok = await reg.req('POST', '/v1/tokens', { token: a.token, body: { name: 'ci' } });
  secrets.push(tok.body.token);
  await reg.req('DELETE', `/v1/tokens/${tok.body.id}`, { token: a.token });
  await reg.req('PATCH', '/v1/me', { token: a.token, body: { name: 'Admin A', password: 'changed-pw-123', currentPassword: USER_PASSWORD } });
  secrets.push('changed-pw-123', reg.services.ctx.users.get(adminA.id)!.password_hash);
  const leaf = (await reg.createAccount(a.token, C, 'leaf')).id;
  await reg.req('DELETE', `/v1/accounts/${leaf}`, { token: a.token });
  // Changes beside A, made by the root.
  await reg.req('PATCH', `/v1/accounts/${B}`, { token: t, body: { name: 'B2' } });
  await reg.createUser(t, B, { deviceAccess: 'none', accountAdmin: false });
});
afterAll(() => reg.close());

describe('every change is recorded', () => {
  it('with who, what, which resource, before and after', async () => {
    const all = await walkAudit(reg.rootToken, 1000);
    const byA = all.filter((e) => e.actor.kind === 'user' && e.actor.id === adminA.id).map((e) => e.action).reverse();
    expect(byA).toEqual(['account.create', 'account.update', 'user.create', 'user.update', 'user.delete', 'token.create', 'token.delete', 'me.update', 'account.create', 'account.delete']);
    const rename = all.find((e) => e.action === 'account.update' && e.resource.id === C)!;
    expect(rename).toMatchObject({
      actor: { kind: 'user', id: adminA.id, email: adminA.email },
      resource: { type: 'account', id: C },
      before: { name: 'C', settings: {} },
      after: { name: 'C2', settings: { gnss: false } },
    });
    const userUpdate = all.find((e) => e.action === 'user.update')!;
    expect(userUpdate.before.name).not.toBe('Reader');
    expect(userUpdate.after).toMatchObject({ name: 'Reader', deviceAccess: 'read', accountAdmin: false, passwordChanged: true });
    expect(all.find((e) => e.action === 'me.update')!.after).toEqual({ name: 'Admin A', passwordChanged: true });
    const deleted = all.find((e) => e.action === 'user.delete')!;
    expect(deleted.before).toMatchObject({ accountId: C, deviceAccess: 'read' });
    expect(deleted.after).toBeNull();
    for (const e of all) expect(typeof e.ts).toBe('number');
  });

  it('never holds a secret: no password, hash or token anywhere in the audit table', () => {
    const rows = reg.db.prepare('SELECT * FROM audit').all() as Record<string, unknown>[];
    const text = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThan(10);
    for (const s of secrets) expect(text.includes(s), `audit holds ${s.slice(0, 12)}...`).toBe(false);
    expect(text).not.toMatch(/scrypt\$|password_hash|passwordHash/);
    const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    for (const r of rows) {
      for (const col of ['before', 'after'] as const) {
        const found = keys(r[col] === null ? null : JSON.parse(String(r[col])));
        for (const k of ['password', 'currentPassword', 'token', 'secret', 'secret_hash', 'hash']) expect(found).not.toContain(k);
      }
    }
  });
});

describe('GET /v1/audit', () => {
  it("shows only the caller's subtree, with actors above it as {kind:'ancestor'}", async () => {
    const seen = await walkAudit(adminA.token, 1000);
    const ids = new Set(seen.map((e) => e.resource.id));
    expect(ids.has(B)).toBe(false);
    expect(seen.some((e) => e.after && JSON.stringify(e.after).includes('B2'))).toBe(false);
    // A's own creation by the root: visible, the actor hidden.
    const created = seen.find((e) => e.action === 'account.create' && e.resource.id === A)!;
    expect(created.actor).toEqual({ kind: 'ancestor' });
    expect(JSON.stringify(seen)).not.toContain(reg.rootUserId);
    // Its own changes: the actor shown.
    expect(seen.filter((e) => e.actor.kind === 'user').every((e) => e.actor.id === adminA.id)).toBe(true);
    const expected = (reg.db.prepare('SELECT seq FROM audit WHERE scope_path LIKE ?').all(`%/${A}/%`) as { seq: number }[]).map((r) => r.seq);
    expect(seen.map((e) => e.seq).sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
  });

  it('a nested admin below sees even less', async () => {
    const c = await reg.createUser(reg.rootToken, C, { deviceAccess: 'read', accountAdmin: true });
    const seen = await walkAudit(c.token, 1000);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.actor.kind === 'ancestor')).toBe(true);
    expect(seen.some((e) => e.resource.id === A)).toBe(false);
  });

  it('pages newest first, each entry once', async () => {
    const big = await walkAudit(reg.rootToken, 1000);
    const paged = await walkAudit(reg.rootToken, 3);
    expect(paged.map((e) => e.seq)).toEqual(big.map((e) => e.seq));
    const seqs = paged.map((e) => e.seq);
    expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('is for account admins only (403)', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, { deviceAccess: 'full', accountAdmin: false });
    const a = await reg.req('GET', '/v1/audit', { token });
    expect(a.status).toBe(403);
    expect((await reg.req('GET', '/v1/audit')).status).toBe(401);
  });
});
