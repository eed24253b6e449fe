/**
 * Login, rate limits, sessions, API tokens and the caller's profile (CONTRACT.md, REST: auth rows;
 * issue 3, "Auth"). Time is injected, so windows and expiries are crossed without sleeping.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../cloud/store/db.js';
import { ROOT_EMAIL, ROOT_PASSWORD, USER_PASSWORD, startRegistry, testClock, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let clock: ReturnType<typeof testClock>;
let A: string;
beforeEach(async () => {
  clock = testClock();
  reg = await startRegistry({ now: clock.now });
  A = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A')).id;
});
afterEach(() => reg.close());

const login = (email: string, password: string, remoteAddress = '127.0.0.1') =>
  reg.req('POST', '/v1/auth/login', { body: { email, password }, remoteAddress });
const me = (token: string) => reg.req('GET', '/v1/me', { token }).then((a) => a.status);

describe('login', () => {
  it('answers the same 401 for an unknown email and a wrong password', async () => {
    const unknown = await login('nobody@test.local', 'whatever-password', '10.0.0.1');
    const wrong = await login(ROOT_EMAIL, 'wrong-password', '10.0.0.1');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.text).toBe(wrong.text);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
  });

  it('gives a token and the user, never a hash', async () => {
    const a = await login(ROOT_EMAIL.toUpperCase(), ROOT_PASSWORD);
    expect(a.status).toBe(200);
    expect(a.body.user).toEqual(expect.objectContaining({ email: ROOT_EMAIL, accountAdmin: true, deviceAccess: 'full' }));
    expect(a.text).not.toMatch(/scrypt|hash|password/i);
    expect(await me(a.body.token)).toBe(200);
  });

  it('after 5 failures for one email answers 429 with Retry-After, even to the right password, until the window passes', async () => {
    for (let i = 0; i < 5; i++) expect((await login(ROOT_EMAIL, `wrong-${i}`)).status).toBe(401);
    const blocked = await login(ROOT_EMAIL, ROOT_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_requests');
    const retry = Number(blocked.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    // Another email is not blocked.
    const { user } = await reg.createUser(reg.rootToken, A, { deviceAccess: 'read', accountAdmin: false });
    expect((await login(user.email, USER_PASSWORD)).status).toBe(200);
    clock.advance(14 * 60_000);
    expect((await login(ROOT_EMAIL, ROOT_PASSWORD)).status).toBe(429);
    clock.advance(retry * 1000);
    expect((await login(ROOT_EMAIL, ROOT_PASSWORD)).status).toBe(200);
  });

  it('answers at most 100 attempts a minute from one address with 429, other addresses go on', async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < 100; i++) {
      // Malformed bodies are cheap (no hashing) and still count as attempts.
      const a = await reg.req('POST', '/v1/auth/login', { body: { email: `x${i}@test.local` }, remoteAddress: ip });
      expect(a.status).toBe(400);
    }
    const limited = await login(ROOT_EMAIL, ROOT_PASSWORD, ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too_many_requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(ROOT_EMAIL, ROOT_PASSWORD, '10.9.9.10')).status).toBe(200);
  });
});

describe('sessions', () => {
  it('logout ends that token only', async () => {
    const t1 = (await login(ROOT_EMAIL, ROOT_PASSWORD)).body.token;
    const t2 = (await login(ROOT_EMAIL, ROOT_PASSWORD)).body.token;
    expect((await reg.req('POST', '/v1/auth/logout', { token: t1 })).status).toBe(204);
    expect(await me(t1)).toBe(401);
    expect(await me(t2)).toBe(200);
  });

  it('a session expires (401) after SESSION_TTL_MINUTES (720 by default)', async () => {
    const a = await login(ROOT_EMAIL, ROOT_PASSWORD);
    expect(a.body.expiresAt).toBe(clock.now() + 720 * 60_000);
    clock.advance(720 * 60_000 - 1);
    expect(await me(a.body.token)).toBe(200);
    clock.advance(1);
    const expired = await reg.req('GET', '/v1/me', { token: a.body.token });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('unauthorized');
  });

  it('deletes expired sessions from the database on a later login', async () => {
    const a = await login(ROOT_EMAIL, ROOT_PASSWORD);
    const rows = () => reg.db.prepare("SELECT count(*) FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?").pluck().get(clock.now()) as number;
    clock.advance(720 * 60_000 + 3_600_000);
    expect(rows()).toBeGreaterThan(0);
    expect((await login(ROOT_EMAIL, ROOT_PASSWORD)).status).toBe(200);
    expect(rows()).toBe(0);
    expect(await me(a.body.token)).toBe(401);
  });

  it('answers 401 to a missing, malformed or unknown bearer', async () => {
    for (const authorization of [undefined, 'Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer x', `Bearer ${'a'.repeat(43)}`, `Bearer ${reg.rootToken} x`]) {
      const a = await reg.req('GET', '/v1/accounts', { headers: authorization ? { authorization } : {} });
      expect(a.status, authorization).toBe(401);
    }
  });
});

describe('API tokens', () => {
  it('shows the secret once, lists without it, stores only a hash, and revokes at once', async () => {
    const created = await reg.req('POST', '/v1/tokens', { token: reg.rootToken, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const secret: string = created.body.token;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await me(secret)).toBe(200);

    const list = await reg.req('GET', '/v1/tokens', { token: reg.rootToken });
    expect(list.body.items).toEqual([{ id: created.body.id, name: 'ci', createdAt: clock.now(), expiresAt: null }]);
    expect(list.text).not.toContain(secret);

    const row = reg.db.prepare('SELECT * FROM tokens WHERE id = ?').get(created.body.id) as { secret_hash: Buffer };
    expect(row.secret_hash.equals(createHash('sha256').update(secret).digest())).toBe(true);
    reg.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(reg.dir, DB_FILE));
    expect(file.includes(Buffer.from(secret))).toBe(false);
    expect(file.includes(Buffer.from(reg.rootToken))).toBe(false);

    expect((await reg.req('DELETE', `/v1/tokens/${created.body.id}`, { token: reg.rootToken })).status).toBe(204);
    expect(await me(secret)).toBe(401);
    expect((await reg.req('GET', '/v1/tokens', { token: reg.rootToken })).body.items).toEqual([]);
  });

  it('expires at expiresAt; a past expiresAt is a 400; others cannot revoke mine (404)', async () => {
    expect((await reg.req('POST', '/v1/tokens', { token: reg.rootToken, body: { name: 'old', expiresAt: clock.now() } })).status).toBe(400);
    const t = (await reg.req('POST', '/v1/tokens', { token: reg.rootToken, body: { name: 'short', expiresAt: clock.now() + 1000 } })).body;
    const other = await reg.createUser(reg.rootToken, reg.rootAccountId, { deviceAccess: 'full', accountAdmin: true });
    expect((await reg.req('DELETE', `/v1/tokens/${t.id}`, { token: other.token })).status).toBe(404);
    expect(await me(t.token)).toBe(200);
    clock.advance(1000);
    expect(await me(t.token)).toBe(401);
  });
});

describe('deleting or demoting a user ends its sessions and tokens at once', () => {
  async function userWithTokens() {
    const { user } = await reg.createUser(reg.rootToken, A, { deviceAccess: 'full', accountAdmin: true });
    const session = (await login(user.email, USER_PASSWORD)).body.token as string;
    const api = (await reg.req('POST', '/v1/tokens', { token: session, body: { name: 'api' } })).body.token as string;
    expect([await me(session), await me(api)]).toEqual([200, 200]);
    return { user, session, api };
  }
  const tokensOf = (userId: string) => (reg.db.prepare('SELECT count(*) AS n FROM tokens WHERE user_id = ?').get(userId) as { n: number }).n;

  it.each([
    ['deleted', (id: string) => reg.req('DELETE', `/v1/users/${id}`, { token: reg.rootToken }), 204],
    ['demoted to non-admin', (id: string) => reg.req('PATCH', `/v1/users/${id}`, { token: reg.rootToken, body: { accountAdmin: false } }), 200],
    ['demoted to read', (id: string) => reg.req('PATCH', `/v1/users/${id}`, { token: reg.rootToken, body: { deviceAccess: 'read' } }), 200],
  ] as const)('%s', async (_what, act, status) => {
    const u = await userWithTokens();
    expect((await act(u.user.id)).status).toBe(status);
    expect([await me(u.session), await me(u.api)]).toEqual([401, 401]);
    expect(tokensOf(u.user.id)).toBe(0);
  });

  it('a rename keeps them', async () => {
    const u = await userWithTokens();
    expect((await reg.req('PATCH', `/v1/users/${u.user.id}`, { token: reg.rootToken, body: { name: 'Renamed' } })).status).toBe(200);
    expect([await me(u.session), await me(u.api)]).toEqual([200, 200]);
  });
});

describe('/v1/me', () => {
  it('shows the user, its account and topicRoot v1/accounts/<root>/<...>/<own>', async () => {
    const C = (await reg.createAccount(reg.rootToken, A, 'C')).id;
    const { token, user } = await reg.createUser(reg.rootToken, C, { deviceAccess: 'read', accountAdmin: false });
    const a = await reg.req('GET', '/v1/me', { token });
    expect(a.status).toBe(200);
    expect(a.body.user).toEqual(user);
    expect(a.body.account).toEqual(expect.objectContaining({ id: C, parentId: A, depth: 2, userCount: 1 }));
    expect(a.body.topicRoot).toBe(`v1/accounts/${reg.rootAccountId}/${A}/${C}`);
    expect((await reg.req('GET', '/v1/me', { token: reg.rootToken })).body.topicRoot).toBe(`v1/accounts/${reg.rootAccountId}`);
  });

  it('changes the own name; a password change needs the current password, and other sessions stay', async () => {
    const { user } = await reg.createUser(reg.rootToken, A, { deviceAccess: 'read', accountAdmin: false });
    const s1 = (await login(user.email, USER_PASSWORD)).body.token as string;
    const s2 = (await login(user.email, USER_PASSWORD)).body.token as string;
    const api = (await reg.req('POST', '/v1/tokens', { token: s1, body: { name: 'api' } })).body.token as string;

    const renamed = await reg.req('PATCH', '/v1/me', { token: s1, body: { name: 'New Name' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.user.name).toBe('New Name');

    const missing = await reg.req('PATCH', '/v1/me', { token: s1, body: { password: 'brand-new-pass' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('currentPassword');
    const wrong = await reg.req('PATCH', '/v1/me', { token: s1, body: { password: 'brand-new-pass', currentPassword: 'not-it-at-all' } });
    expect(wrong.status).toBe(403);
    expect((await login(user.email, 'brand-new-pass', '10.1.1.1')).status).toBe(401);

    const ok = await reg.req('PATCH', '/v1/me', { token: s1, body: { password: 'brand-new-pass', currentPassword: USER_PASSWORD } });
    expect(ok.status).toBe(200);
    expect([await me(s1), await me(s2), await me(api)]).toEqual([200, 200, 200]);
    expect((await login(user.email, USER_PASSWORD, '10.1.1.2')).status).toBe(401);
    expect((await login(user.email, 'brand-new-pass', '10.1.1.3')).status).toBe(200);
  });
});
