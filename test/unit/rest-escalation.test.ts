/**
 * Escalation attempts through the REST API (CONTRACT.md, "The permission rule"): each answers the
 * contract's status and changes nothing, checked on the database (every account and user row).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Rights } from '../../cloud/domain/permissions.js';
import { USER_PASSWORD, startRegistry, uniqueEmail, type Answer, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let A: string; // a customer under the root
let C: string; // a child of A
beforeEach(async () => {
  reg = await startRegistry();
  A = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A')).id;
  C = (await reg.createAccount(reg.rootToken, A, 'C')).id;
});
afterEach(() => reg.close());

const FULL_ADMIN: Rights = { deviceAccess: 'full', accountAdmin: true };
const READ_ADMIN: Rights = { deviceAccess: 'read', accountAdmin: true };
const FULL_USER: Rights = { deviceAccess: 'full', accountAdmin: false };
const READ_USER: Rights = { deviceAccess: 'read', accountAdmin: false };

const newUser = (rights: Rights) => ({ email: uniqueEmail('new'), name: 'New', password: USER_PASSWORD, ...rights });

/** Runs the request and asserts its status and that no account or user row changed. */
async function refused(request: () => Promise<Answer>, status: number, code?: string): Promise<Answer> {
  const before = reg.snapshot();
  const a = await request();
  expect(a.status, a.text).toBe(status);
  expect(Object.keys(a.body)).toEqual(['error']);
  if (code) expect(a.body.error.code).toBe(code);
  expect(reg.snapshot()).toEqual(before);
  return a;
}

describe('no escalation', () => {
  it('a read admin cannot create a full user (403), nor a full admin, but may create a read admin', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, READ_ADMIN);
    await refused(() => reg.req('POST', `/v1/accounts/${C}/users`, { token, body: newUser(FULL_USER) }), 403, 'forbidden');
    await refused(() => reg.req('POST', `/v1/accounts/${A}/users`, { token, body: newUser(FULL_ADMIN) }), 403);
    expect((await reg.req('POST', `/v1/accounts/${C}/users`, { token, body: newUser(READ_ADMIN) })).status).toBe(201);
  });

  it('a non-admin cannot create users at all, even with no rights (403)', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, FULL_USER);
    for (const grant of [FULL_USER, READ_USER, { deviceAccess: 'none', accountAdmin: false } as const]) {
      await refused(() => reg.req('POST', `/v1/accounts/${C}/users`, { token, body: newUser(grant) }), 403);
    }
  });

  it('a user cannot raise its own rights (403), through /v1/users or /v1/me (400 naming the field)', async () => {
    const reader = await reg.createUser(reg.rootToken, A, READ_USER);
    await refused(() => reg.req('PATCH', `/v1/users/${reader.user.id}`, { token: reader.token, body: { deviceAccess: 'full' } }), 403);
    await refused(() => reg.req('PATCH', `/v1/users/${reader.user.id}`, { token: reader.token, body: { accountAdmin: true } }), 403);
    const readAdmin = await reg.createUser(reg.rootToken, A, READ_ADMIN);
    await refused(() => reg.req('PATCH', `/v1/users/${readAdmin.user.id}`, { token: readAdmin.token, body: { deviceAccess: 'full' } }), 403);
    for (const field of ['accountAdmin', 'deviceAccess'] as const) {
      const a = await refused(() => reg.req('PATCH', '/v1/me', { token: reader.token, body: { [field]: field === 'accountAdmin' ? true : 'full' } }), 400, 'invalid');
      expect(a.body.error.message).toContain(field);
    }
  });

  it('a read admin cannot change or delete a full user (403)', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, READ_ADMIN);
    const full = await reg.createUser(reg.rootToken, C, FULL_USER);
    await refused(() => reg.req('PATCH', `/v1/users/${full.user.id}`, { token, body: { name: 'renamed' } }), 403);
    await refused(() => reg.req('PATCH', `/v1/users/${full.user.id}`, { token, body: { deviceAccess: 'read' } }), 403);
    await refused(() => reg.req('DELETE', `/v1/users/${full.user.id}`, { token }), 403);
  });

  it('a nested admin cannot touch users above it (404, as if they did not exist)', async () => {
    const { token } = await reg.createUser(reg.rootToken, C, FULL_ADMIN);
    const above = await reg.createUser(reg.rootToken, A, READ_USER);
    await refused(() => reg.req('PATCH', `/v1/users/${above.user.id}`, { token, body: { name: 'x' } }), 404, 'not_found');
    await refused(() => reg.req('DELETE', `/v1/users/${reg.rootUserId}`, { token }), 404);
    await refused(() => reg.req('POST', `/v1/accounts/${A}/users`, { token, body: newUser(READ_USER) }), 404);
  });
});

describe("an admin's own account", () => {
  it('may not be renamed or deleted by its admin (403), but its settings may change', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, FULL_ADMIN);
    await refused(() => reg.req('PATCH', `/v1/accounts/${A}`, { token, body: { name: 'mine now' } }), 403);
    await refused(() => reg.req('PATCH', `/v1/accounts/${A}`, { token, body: { name: 'mine', settings: { gnss: false } } }), 403);
    await refused(() => reg.req('DELETE', `/v1/accounts/${A}`, { token }), 403);
    await refused(() => reg.req('DELETE', `/v1/accounts/${reg.rootAccountId}`, { token: reg.rootToken }), 403);
    const ok = await reg.req('PATCH', `/v1/accounts/${A}`, { token, body: { settings: { gnss: false } } });
    expect(ok.status).toBe(200);
    expect(ok.body.settings).toEqual({ gnss: false });
  });

  it('cannot be re-parented: PATCH parentId is a 400 naming parentId', async () => {
    const { token } = await reg.createUser(reg.rootToken, A, FULL_ADMIN);
    const other = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'other')).id;
    for (const [who, id, parentId] of [[reg.rootToken, C, other], [token, C, A], [reg.rootToken, C, reg.rootAccountId]] as const) {
      const a = await refused(() => reg.req('PATCH', `/v1/accounts/${id}`, { token: who, body: { name: 'moved', parentId } }), 400, 'invalid');
      expect(a.body.error.message).toContain('parentId');
      expect(a.body.error.details).toContainEqual(expect.objectContaining({ field: 'parentId' }));
    }
    expect(reg.services.ctx.accounts.get(C)!.parent_id).toBe(A);
  });
});

describe('no lock-out of the root account', () => {
  it('the last root admin cannot be demoted or deleted (409), by itself', async () => {
    for (const body of [{ deviceAccess: 'read' }, { accountAdmin: false }, { deviceAccess: 'none', accountAdmin: false }]) {
      await refused(() => reg.req('PATCH', `/v1/users/${reg.rootUserId}`, { token: reg.rootToken, body }), 409, 'last_root_admin');
    }
    await refused(() => reg.req('DELETE', `/v1/users/${reg.rootUserId}`, { token: reg.rootToken }), 409, 'last_root_admin');
    expect((await reg.req('GET', '/v1/me', { token: reg.rootToken })).status).toBe(200);
  });

  it('with two root admins one may go; the other then stays (409)', async () => {
    const second = await reg.createUser(reg.rootToken, reg.rootAccountId, FULL_ADMIN);
    expect((await reg.req('PATCH', `/v1/users/${reg.rootUserId}`, { token: second.token, body: { deviceAccess: 'read' } })).status).toBe(200);
    await refused(() => reg.req('DELETE', `/v1/users/${second.user.id}`, { token: second.token }), 409);
    await refused(() => reg.req('PATCH', `/v1/users/${second.user.id}`, { token: second.token, body: { accountAdmin: false } }), 409);
    // A read admin of the root is not a "full" admin: it does not count, and it cannot manage the full one.
    const readRoot = reg.tokenFor(reg.rootUserId);
    await refused(() => reg.req('DELETE', `/v1/users/${second.user.id}`, { token: readRoot }), 403);
  });
});

describe('deleting an account that is not empty', () => {
  it('answers 409 while it holds users or children, naming the counts', async () => {
    await reg.createUser(reg.rootToken, C, READ_USER);
    const withUser = await refused(() => reg.req('DELETE', `/v1/accounts/${C}`, { token: reg.rootToken }), 409, 'account_not_empty');
    expect(withUser.body.error.details).toEqual({ devices: 0, users: 1, children: 0 });
    const withChild = await refused(() => reg.req('DELETE', `/v1/accounts/${A}`, { token: reg.rootToken }), 409);
    expect(withChild.body.error.details).toEqual({ devices: 0, users: 0, children: 1 });
  });

  it('an empty leaf goes (204) and then is 404', async () => {
    expect((await reg.req('DELETE', `/v1/accounts/${C}`, { token: reg.rootToken })).status).toBe(204);
    expect((await reg.req('GET', `/v1/accounts/${C}`, { token: reg.rootToken })).status).toBe(404);
  });
});
