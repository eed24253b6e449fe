/**
 * Bad input on the REST API: wrong types, unknown fields, oversized bodies, bad JSON, hostile and
 * unicode names, malformed ids and cursors, and mass assignment. Every refusal is a clear 4xx in
 * the contract's error shape naming the field, and nothing changes in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_PASSWORD, startRegistry, uniqueEmail, type Answer, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let A: string;
let userId: string;
let adminToken: string;
beforeAll(async () => {
  reg = await startRegistry({ env: { MAX_DEPTH: '3' } });
  A = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A')).id;
  const u = await reg.createUser(reg.rootToken, A, { deviceAccess: 'read', accountAdmin: true });
  userId = u.user.id;
  adminToken = u.token;
});
afterAll(() => reg.close());

/** The contract's error shape: exactly `{error:{code, message, details?}}`. */
function expectErrorShape(a: Answer): void {
  expect(Object.keys(a.body ?? {}), a.text).toEqual(['error']);
  expect(typeof a.body.error.code).toBe('string');
  expect(typeof a.body.error.message).toBe('string');
  for (const k of Object.keys(a.body.error)) expect(['code', 'message', 'details']).toContain(k);
}

/** 400 naming `field` in the message and in details, and no account or user row changed. */
async function refused400(request: () => Promise<Answer>, field: string): Promise<Answer> {
  const before = reg.snapshot();
  const a = await request();
  expect(a.status, a.text).toBe(400);
  expectErrorShape(a);
  expect(a.body.error.message).toContain(field);
  expect(a.body.error.details, a.text).toContainEqual(expect.objectContaining({ field }));
  expect(reg.snapshot()).toEqual(before);
  return a;
}

const post = (url: string, body: unknown, token = reg.rootToken) => () => reg.req('POST', url, { token, body });
const patch = (url: string, body: unknown, token = reg.rootToken) => () => reg.req('PATCH', url, { token, body });
const validUser = () => ({ email: uniqueEmail(), name: 'N', password: USER_PASSWORD, deviceAccess: 'read', accountAdmin: false });

describe('wrong types are refused, never coerced', () => {
  it.each([
    ['account name as a number', '/v1/accounts', () => ({ name: 5, parentId: reg.rootAccountId }), 'name'],
    ['parentId as a number', '/v1/accounts', () => ({ name: 'x', parentId: 123 }), 'parentId'],
    ['settings as a string', '/v1/accounts', () => ({ name: 'x', parentId: reg.rootAccountId, settings: 'gnss' }), 'settings'],
    ['interval as a numeric string', '/v1/accounts', () => ({ name: 'x', parentId: reg.rootAccountId, settings: { telemetryIntervalMs: '1000' } }), 'settings.telemetryIntervalMs'],
    ['accountAdmin as "true"', 'users', () => ({ ...validUser(), accountAdmin: 'true' }), 'accountAdmin'],
    ['deviceAccess outside the enum', 'users', () => ({ ...validUser(), deviceAccess: 'admin' }), 'deviceAccess'],
    ['a short password', 'users', () => ({ ...validUser(), password: 'short' }), 'password'],
    ['an email that is not one', 'users', () => ({ ...validUser(), email: 'not-an-email' }), 'email'],
    ['token expiresAt as a string', '/v1/tokens', () => ({ name: 't', expiresAt: '1900000000000' }), 'expiresAt'],
  ])('%s', async (_what, url, body, field) => {
    await refused400(post(url === 'users' ? `/v1/accounts/${A}/users` : url, body()), field);
  });

  it('settings: unknown keys, out-of-range intervals and bad PIDs name the key', async () => {
    await refused400(patch(`/v1/accounts/${A}`, { settings: { colour: 'red' } }), 'colour');
    await refused400(patch(`/v1/accounts/${A}`, { settings: { telemetryIntervalMs: 199 } }), 'settings.telemetryIntervalMs');
    await refused400(patch(`/v1/accounts/${A}`, { settings: { telemetryIntervalMs: 3_600_001 } }), 'settings.telemetryIntervalMs');
    await refused400(patch(`/v1/accounts/${A}`, { settings: { obdPids: ['0C', 'ZZ'] } }), 'settings.obdPids.1');
  });
});

describe('unknown fields and mass assignment', () => {
  const MASS = ['id', 'accountId', 'depth', 'parentId', 'role', 'createdAt', 'path'];

  it.each(MASS)('PATCH /v1/accounts/:id with %s is a 400 naming it, never persisted', async (field) => {
    await refused400(patch(`/v1/accounts/${A}`, { name: 'ok', [field]: field === 'depth' ? 0 : reg.rootAccountId }), field);
  });

  it.each(MASS)('PATCH /v1/users/:id with %s is a 400 naming it', async (field) => {
    await refused400(patch(`/v1/users/${userId}`, { name: 'ok', [field]: reg.rootAccountId }), field);
  });

  it.each(['id', 'depth', 'path', 'childCount'])('POST /v1/accounts with %s is a 400 naming it', async (field) => {
    await refused400(post('/v1/accounts', { name: 'x', parentId: A, [field]: 1 }), field);
  });

  it.each(['id', 'accountId', 'role', 'passwordHash', 'email_verified'])('POST users with %s is a 400 naming it', async (field) => {
    await refused400(post(`/v1/accounts/${A}/users`, { ...validUser(), [field]: 'x' }), field);
  });

  it('PATCH /v1/users/:id may not change email or accountId', async () => {
    await refused400(patch(`/v1/users/${userId}`, { email: 'other@test.local' }), 'email');
    await refused400(patch(`/v1/users/${userId}`, { accountId: reg.rootAccountId }), 'accountId');
  });

  it.each([
    ['__proto__', '{"name":"x","__proto__":{"accountAdmin":true}}'],
    ['__proto__', '{"name":"x","settings":{"__proto__":{"gnss":false}}}'],
    ['constructor', '{"name":"x","constructor":{"prototype":{"accountAdmin":true}}}'],
    ['constructor', '{"name":"x","constructor":"x"}'],
  ])('a %s key is a 400 naming it: %s', async (field, payload) => {
    const a = await refused400(() => reg.req('PATCH', `/v1/users/${userId}`, { token: reg.rootToken, payload, headers: { 'content-type': 'application/json' } }), field);
    expect(a.body.error.code).toBe('invalid');
    expect(({} as Record<string, unknown>).accountAdmin).toBeUndefined();
  });

  it('login and /v1/me refuse unknown fields too', async () => {
    await refused400(post('/v1/auth/login', { email: 'a@test.local', password: 'x', remember: true }), 'remember');
    await refused400(patch('/v1/me', { name: 'x', accountId: A }, adminToken), 'accountId');
  });
});

describe('bodies that are not JSON objects', () => {
  const raw = (payload: string | Buffer, type = 'application/json') => () =>
    reg.req('POST', '/v1/accounts', { token: reg.rootToken, payload, headers: { 'content-type': type } });

  it('bad JSON is a 400', async () => {
    for (const payload of ['{', '{"name":', "{'name':'x'}", '{"name":"x",}', 'NaN', '\u0000']) {
      const before = reg.snapshot();
      const a = await raw(payload)();
      expect(a.status, payload).toBe(400);
      expectErrorShape(a);
      expect(a.body.error.message).toContain('body');
      expect(reg.snapshot()).toEqual(before);
    }
  });

  it('null, arrays, strings and empty bodies are a 400 naming the body', async () => {
    for (const payload of ['null', '[]', '"x"', '42', '']) await refused400(raw(payload), 'body');
  });

  it('a body over 1 MiB is a 413, one just under is read and validated (400)', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024), parentId: A });
    const before = reg.snapshot();
    const a = await raw(big)();
    expect(a.status).toBe(413);
    expectErrorShape(a);
    expect(reg.snapshot()).toEqual(before);
    await refused400(raw(JSON.stringify({ name: 'x'.repeat(1024 * 1024 - 100), parentId: A })), 'name');
  });

  it('another content type is refused with a 4xx in the error shape', async () => {
    const a = await raw('name=x', 'application/x-www-form-urlencoded')();
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.status).toBeLessThan(500);
    expectErrorShape(a);
  });
});

describe('names', () => {
  const HOSTILE = [
    "Robert'); DROP TABLE accounts;--",
    '" OR 1=1 --',
    "x' UNION SELECT password_hash FROM users --",
    '%s%n%x ${7*7} {{7*7}} <script>alert(1)</script>',
    'Ünïcödé ñame — 名前 имя اسم 🚗🚚',
    '\u202Eevil RTL\u202C and a zero\u200Bwidth space',
    'e\u0301 vs é (NFD and NFC are kept apart)',
    'x'.repeat(200),
  ];

  it.each(HOSTILE)('is accepted and stored verbatim: %s', async (name) => {
    const created = await reg.req('POST', '/v1/accounts', { token: reg.rootToken, body: { name, parentId: A } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.name).toBe(name);
    expect(reg.services.ctx.accounts.get(created.body.id)!.name).toBe(name);
    const read = await reg.req('GET', `/v1/accounts/${created.body.id}`, { token: reg.rootToken });
    expect(read.body.name).toBe(name);
    const user = await reg.req('POST', `/v1/accounts/${created.body.id}/users`, { token: reg.rootToken, body: { ...validUser(), name } });
    expect(user.status).toBe(201);
    expect((reg.db.prepare('SELECT name FROM users WHERE id = ?').get(user.body.id) as { name: string }).name).toBe(name);
    expect((reg.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'accounts'").get() as { n: number }).n).toBe(1);
  });

  it.each([
    ['10 000 characters', 'x'.repeat(10_000)],
    ['201 characters', 'x'.repeat(201)],
    ['empty', ''],
    ['blank', '   '],
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000b'],
  ])('%s is a 400 naming name', async (_what, name) => {
    await refused400(post('/v1/accounts', { name, parentId: A }), 'name');
    await refused400(patch(`/v1/accounts/${A}`, { name }), 'name');
    await refused400(post(`/v1/accounts/${A}/users`, { ...validUser(), name }), 'name');
    await refused400(patch(`/v1/users/${userId}`, { name }), 'name');
  });

  it('an email taken in another case is a 409', async () => {
    const email = uniqueEmail('Case');
    expect((await reg.req('POST', `/v1/accounts/${A}/users`, { token: reg.rootToken, body: { ...validUser(), email } })).status).toBe(201);
    const before = reg.snapshot();
    const dup = await reg.req('POST', `/v1/accounts/${A}/users`, { token: reg.rootToken, body: { ...validUser(), email: email.toUpperCase() } });
    expect(dup.status).toBe(409);
    expectErrorShape(dup);
    expect(reg.snapshot()).toEqual(before);
  });
});

describe('ids, limits and cursors', () => {
  const BAD_IDS = ['x', '1', "1' OR '1'='1", '..%2F..%2Fetc', '%00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00000000-0000-0000-0000-00000000000g', 'a'.repeat(90)];

  it.each(BAD_IDS)('a malformed or unknown id %s answers 404 on every route', async (id) => {
    const t = reg.rootToken;
    const answers = [
      await reg.req('GET', `/v1/accounts/${id}`, { token: t }),
      await reg.req('PATCH', `/v1/accounts/${id}`, { token: t, body: { name: 'x' } }),
      await reg.req('DELETE', `/v1/accounts/${id}`, { token: t }),
      await reg.req('GET', `/v1/accounts/${id}/users`, { token: t }),
      await reg.req('POST', `/v1/accounts/${id}/users`, { token: t, body: validUser() }),
      await reg.req('PATCH', `/v1/users/${id}`, { token: t, body: { name: 'x' } }),
      await reg.req('DELETE', `/v1/users/${id}`, { token: t }),
      await reg.req('DELETE', `/v1/tokens/${id}`, { token: t }),
      await reg.req('POST', '/v1/accounts', { token: t, body: { name: 'x', parentId: id } }),
    ];
    for (const a of answers) {
      expect(a.status, a.text).toBe(404);
      expectErrorShape(a);
    }
  });

  it('limit above 1000, zero, negative or not a number is a 400 naming limit; 1000 is fine', async () => {
    for (const url of ['/v1/accounts', `/v1/accounts/${A}/users`, '/v1/audit']) {
      for (const limit of ['1001', '0', '-1', 'abc', '1.5', '1e9']) await refused400(() => reg.req('GET', `${url}?limit=${limit}`, { token: reg.rootToken }), 'limit');
      expect((await reg.req('GET', `${url}?limit=1000`, { token: reg.rootToken })).status).toBe(200);
    }
  });

  it('a cursor the list did not give out is a 400 naming cursor', async () => {
    const wrongKind = Buffer.from(JSON.stringify(12)).toString('base64url');
    const aString = Buffer.from(JSON.stringify('x')).toString('base64url');
    for (const [url, cursors] of [
      ['/v1/accounts', ['!!!', 'e30', wrongKind, 'x'.repeat(5000)]],
      [`/v1/accounts/${A}/users`, ['%FF', wrongKind]],
      ['/v1/audit', ['abc', aString]],
    ] as const) {
      for (const cursor of cursors) await refused400(() => reg.req('GET', `${url}?cursor=${cursor}`, { token: reg.rootToken }), 'cursor');
    }
  });

  it('pagination walks every account once, in pages of at most `limit`', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const a: Answer = await reg.req('GET', `/v1/accounts?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: reg.rootToken });
      expect(a.status).toBe(200);
      expect(a.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...a.body.items.map((x: { id: string }) => x.id));
      cursor = a.body.nextCursor;
    } while (cursor);
    const all = (reg.db.prepare('SELECT id FROM accounts').all() as { id: string }[]).map((r) => r.id);
    expect([...seen].sort()).toEqual(all.sort());
  });
});

describe('depth cap (MAX_DEPTH=3 here)', () => {
  it('creates down to depth 3 and answers 400 naming parentId and the limit below it', async () => {
    const d2 = await reg.createAccount(reg.rootToken, A);
    const d3 = await reg.createAccount(reg.rootToken, d2.id);
    expect(d3.depth).toBe(3);
    const a = await refused400(post('/v1/accounts', { name: 'too deep', parentId: d3.id }), 'parentId');
    expect(a.body.error.message).toContain('MAX_DEPTH=3');
  });
});
