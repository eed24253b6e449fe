/**
 * "Authorization is decided before state: 401, then 404, then 403, then 400/409" (CONTRACT.md):
 * a bad body aimed at a resource the caller cannot see answers 404, at one it may not change 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

describe('status order: 401, 404, 403, then 400', () => {
  let reg: TestRegistry;
  let sibling: string;
  let own: string;
  let readUser: string;
  let adminToken: string;
  let plainToken: string;
  let siblingUser: string;

  beforeAll(async () => {
    reg = await startRegistry();
    own = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Own')).id;
    sibling = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Sibling')).id;
    adminToken = (await reg.createUser(reg.rootToken, own, { deviceAccess: 'full', accountAdmin: true })).token;
    const plain = await reg.createUser(reg.rootToken, own, { deviceAccess: 'read', accountAdmin: false });
    plainToken = plain.token;
    readUser = plain.user.id;
    siblingUser = (await reg.createUser(reg.rootToken, sibling, { deviceAccess: 'read', accountAdmin: false })).user.id;
  });
  afterAll(async () => reg?.close());

  const bad = { name: 42, extra: true };

  it('answers 401 before anything else', async () => {
    expect((await reg.req('PATCH', `/v1/accounts/${own}`, { body: bad })).status).toBe(401);
  });

  it('answers 404 for an invisible resource whatever the body', async () => {
    expect((await reg.req('PATCH', `/v1/accounts/${sibling}`, { token: adminToken, body: bad })).status).toBe(404);
    expect((await reg.req('PATCH', `/v1/accounts/${reg.rootAccountId}`, { token: adminToken, body: bad })).status).toBe(404);
    expect((await reg.req('POST', `/v1/accounts/${sibling}/users`, { token: adminToken, body: bad })).status).toBe(404);
    expect((await reg.req('GET', `/v1/accounts/${sibling}/users?limit=99999`, { token: adminToken })).status).toBe(404);
    expect((await reg.req('PATCH', `/v1/users/${siblingUser}`, { token: adminToken, body: bad })).status).toBe(404);
    expect((await reg.req('PATCH', '/v1/users/not-a-uuid', { token: adminToken, body: bad })).status).toBe(404);
  });

  it('answers 403 for a visible resource the caller may not change, whatever the body', async () => {
    expect((await reg.req('PATCH', `/v1/accounts/${own}`, { token: plainToken, body: bad })).status).toBe(403);
    expect((await reg.req('POST', `/v1/accounts/${own}/users`, { token: plainToken, body: bad })).status).toBe(403);
    expect((await reg.req('PATCH', `/v1/users/${readUser}`, { token: plainToken, body: bad })).status).toBe(403);
  });

  it('answers 400 naming the field once the caller may act', async () => {
    const a = await reg.req('PATCH', `/v1/accounts/${own}`, { token: adminToken, body: { settings: { gnss: 'yes' } } });
    expect(a.status).toBe(400);
    expect(a.body.error.details[0].field).toBe('settings.gnss');
  });
});
