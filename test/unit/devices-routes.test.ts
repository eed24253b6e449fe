/**
 * Devices over REST (CONTRACT.md, REST device routes): register, import, list, read, rename,
 * decommission, rotate, ownership history, audit. A real registry on a temp SQLite file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySecret } from '../../cloud/services/secrets.js';
import { deviceTables, registerDevice, seedDevices, unitIdOf } from '../helpers/devices-harness.js';
import { startRegistry, testClock, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
const clock = testClock();
beforeEach(async () => {
  reg = await startRegistry({ now: clock.now });
});
afterEach(async () => reg.close());

const secretHashOf = (id: string) => (reg.db.prepare('SELECT secret_hash FROM devices WHERE id = ?').get(id) as { secret_hash: string }).secret_hash;

describe('register', () => {
  it('answers the device and a secret shown once, stored hashed', async () => {
    const changed: string[][] = [];
    reg.services.ctx.bus.on('ownership-changed', (ids) => changed.push([...ids]));
    const unitId = unitIdOf();
    const a = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId, name: 'Van 1' } });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ unitId, name: 'Van 1', accountId: reg.rootAccountId, epoch: 1, appliedEpoch: null, lastSeen: null, vin: null });
    const hash = secretHashOf(a.body.id);
    expect(hash).not.toContain(a.body.secret);
    expect(await verifySecret(a.body.secret, hash)).toBe(true);
    expect(changed).toEqual([[a.body.id]]);
    const got = await reg.req('GET', `/v1/devices/${a.body.id}`, { token: reg.rootToken });
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    expect(got.body).toMatchObject({ id: a.body.id, unitId, epoch: 1 });
  });

  it('refuses bad unit ids, duplicates, unknown accounts and non-root admins', async () => {
    const bad = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: 'ABCDEF012345' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('unitId');
    expect((await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: 'abc' } })).status).toBe(400);
    const d = await registerDevice(reg);
    expect((await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: d.unitId } })).status).toBe(409);
    const unknown = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: unitIdOf(), accountId: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
    const nested = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const admin = await reg.createUser(reg.rootToken, nested.id, { deviceAccess: 'full', accountAdmin: true });
    expect((await reg.req('POST', '/v1/devices', { token: admin.token, body: { unitId: unitIdOf() } })).status).toBe(403);
    const rootReader = await reg.createUser(reg.rootToken, reg.rootAccountId, { deviceAccess: 'full', accountAdmin: false });
    expect((await reg.req('POST', '/v1/devices', { token: rootReader.token, body: { unitId: unitIdOf() } })).status).toBe(403);
  });

  it('continues the epoch of a unit id registered again after decommissioning', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const d = await registerDevice(reg);
    expect((await reg.req('POST', '/v1/devices/assign', { token: reg.rootToken, body: { accountId: a.id, deviceIds: [d.id] } })).status).toBe(200);
    const revoked: string[] = [];
    reg.services.ctx.bus.on('device-revoked', (u) => revoked.push(u));
    clock.advance(1000);
    expect((await reg.req('DELETE', `/v1/devices/${d.id}`, { token: reg.rootToken })).status).toBe(204);
    expect(revoked).toEqual([d.unitId]);
    expect((await reg.req('GET', `/v1/devices/${d.id}`, { token: reg.rootToken })).status).toBe(404);
    const again = await registerDevice(reg, undefined, d.unitId);
    expect(again.id).not.toBe(d.id);
    expect(again.epoch).toBe(3);
    const own = await reg.req('GET', `/v1/devices/${again.id}/ownership`, { token: reg.rootToken });
    expect(own.body.history).toEqual([{ accountId: reg.rootAccountId, epoch: 3, from: clock.now(), to: null }]);
    const old = reg.db.prepare('SELECT to_ts FROM ownership WHERE device_id = ? ORDER BY epoch').all(d.id) as { to_ts: number | null }[];
    expect(old.map((r) => r.to_ts)).toEqual([clock.now() - 1000, clock.now()]);
  });
});

describe('read and change', () => {
  it('renames with full access only; read users get 403, outsiders 404, malformed ids 404', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const b = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const d = await registerDevice(reg, a.id);
    const full = await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'full', accountAdmin: false });
    const read = await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'read', accountAdmin: true });
    const none = await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'none', accountAdmin: true });
    const other = await reg.createUser(reg.rootToken, b.id, { deviceAccess: 'full', accountAdmin: true });
    const rename = (token: string, id = d.id) => reg.req('PATCH', `/v1/devices/${id}`, { token, body: { name: 'Truck' } });
    expect((await rename(read.token)).status).toBe(403);
    expect((await rename(none.token)).status).toBe(404);
    expect((await rename(other.token)).status).toBe(404);
    expect((await rename(full.token, 'not-a-uuid')).status).toBe(404);
    expect((await reg.req('PATCH', `/v1/devices/${d.id}`, { token: full.token, body: { name: 'x', unitId: 'y' } })).status).toBe(400);
    const badName = (token: string) => reg.req('PATCH', `/v1/devices/${d.id}`, { token, body: { name: '' } });
    expect([(await badName(other.token)).status, (await badName(read.token)).status, (await badName(full.token)).status]).toEqual([404, 403, 400]);
    expect((await reg.req('GET', `/v1/devices?accountId=${a.id}&limit=501`, { token: other.token })).status).toBe(404);
    expect((await reg.req('POST', '/v1/devices', { token: other.token, body: { unitId: 'NOPE' } })).status).toBe(403);
    expect((await reg.req('POST', '/v1/devices/import', { token: other.token, body: { devices: [] } })).status).toBe(403);
    const ok = await rename(full.token);
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('Truck');
    expect((await reg.req('GET', `/v1/devices/${d.id}`, { token: read.token })).body.name).toBe('Truck');
    expect((await reg.req('GET', `/v1/devices/${d.id}`, { token: none.token })).status).toBe(404);
  });

  it('rotates the secret: the new one verifies, the old one not, the session is revoked', async () => {
    const d = await registerDevice(reg);
    const revoked: string[] = [];
    reg.services.ctx.bus.on('device-revoked', (u) => revoked.push(u));
    const nested = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const admin = await reg.createUser(reg.rootToken, nested.id, { deviceAccess: 'full', accountAdmin: true });
    expect((await reg.req('POST', `/v1/devices/${d.id}/secret`, { token: admin.token })).status).toBe(404);
    const a = await reg.req('POST', `/v1/devices/${d.id}/secret`, { token: reg.rootToken });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ id: d.id, unitId: d.unitId });
    expect(await verifySecret(a.body.secret, secretHashOf(d.id))).toBe(true);
    expect(await verifySecret(d.secret, secretHashOf(d.id))).toBe(false);
    expect(revoked).toEqual([d.unitId]);
  });

  it('shows history intervals of unseen accounts as null, and whether the agent applied the epoch', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const b = await reg.createAccount(reg.rootToken, a.id);
    const d = await registerDevice(reg);
    const t0 = clock.now();
    for (const target of [a.id, b.id]) {
      clock.advance(10);
      expect((await reg.req('POST', '/v1/devices/assign', { token: reg.rootToken, body: { accountId: target, unitIds: d.unitId } })).status).toBe(200);
    }
    const userA = await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'read', accountAdmin: false });
    const userB = await reg.createUser(reg.rootToken, b.id, { deviceAccess: 'read', accountAdmin: false });
    const seen = await reg.req('GET', `/v1/devices/${d.id}/ownership`, { token: userA.token });
    expect(seen.body).toEqual({
      deviceId: d.id, accountId: b.id, epoch: 3, appliedEpoch: null, applied: false,
      history: [
        { accountId: null, epoch: 1, from: t0, to: t0 + 10 },
        { accountId: a.id, epoch: 2, from: t0 + 10, to: t0 + 20 },
        { accountId: b.id, epoch: 3, from: t0 + 20, to: null },
      ],
    });
    const fromB = await reg.req('GET', `/v1/devices/${d.id}/ownership`, { token: userB.token });
    expect(fromB.body.history.map((h: { accountId: string | null }) => h.accountId)).toEqual([null, null, b.id]);
    reg.db.prepare('UPDATE devices SET applied_epoch = 3, applied_issued_at = issued_at WHERE id = ?').run(d.id);
    expect((await reg.req('GET', `/v1/devices/${d.id}/ownership`, { token: userB.token })).body).toMatchObject({ appliedEpoch: 3, applied: true });
  });
});

describe('list', () => {
  it('filters by subtree and q, pages with a cursor, and hides everything from none', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const b = await reg.createAccount(reg.rootToken, a.id);
    const c = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    seedDevices(reg.db, a.id, 3);
    seedDevices(reg.db, b.id, 4);
    seedDevices(reg.db, c.id, 5);
    const named = await registerDevice(reg, b.id, 'aabbccddeeff0011');
    await reg.req('PATCH', `/v1/devices/${named.id}`, { token: reg.rootToken, body: { name: 'Blue 50%_van' } });
    const list = async (token: string, query: string) => reg.req('GET', `/v1/devices?${query}`, { token });
    expect((await list(reg.rootToken, `accountId=${a.id}&limit=500`)).body.items).toHaveLength(8);
    expect((await list(reg.rootToken, 'limit=501')).status).toBe(400);
    expect((await list(reg.rootToken, 'q=50%25_')).body.items.map((d: { id: string }) => d.id)).toEqual([named.id]);
    expect((await list(reg.rootToken, 'q=50%25x')).body.items).toEqual([]);
    expect((await list(reg.rootToken, 'q=BBCCDD')).body.items.map((d: { id: string }) => d.id)).toEqual([named.id]);
    expect((await list(reg.rootToken, `q=${named.id.slice(0, 8)}`)).body.items.map((d: { id: string }) => d.id)).toContain(named.id);
    const userB = await reg.createUser(reg.rootToken, b.id, { deviceAccess: 'read', accountAdmin: false });
    expect((await list(userB.token, `accountId=${a.id}`)).status).toBe(404);
    expect((await list(userB.token, `accountId=${c.id}`)).status).toBe(404);
    expect((await list(userB.token, '')).body.items).toHaveLength(5);
    const none = await reg.createUser(reg.rootToken, reg.rootAccountId, { deviceAccess: 'none', accountAdmin: true });
    expect((await list(none.token, '')).body).toEqual({ items: [], nextCursor: null });
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const p: { body: { items: { id: string }[]; nextCursor: string | null } } = await list(reg.rootToken, `limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...p.body.items.map((d) => d.id));
      cursor = p.body.nextCursor;
    } while (cursor);
    expect(pages).toHaveLength(13);
    expect([...pages].sort()).toEqual(pages);
    expect((await list(reg.rootToken, 'cursor=%%%')).status).toBe(400);
  });
});

describe('import', () => {
  it('imports JSON and CSV all at once, each with its secret', async () => {
    const a = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const units = [unitIdOf(), unitIdOf(), unitIdOf()];
    const json = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, body: { devices: [{ unitId: units[0] }, { unitId: units[1]!.toUpperCase(), name: 'B', accountId: a.id }] } });
    expect(json.status).toBe(201);
    expect(json.body.items.map((i: { unitId: string }) => i.unitId)).toEqual(units.slice(0, 2));
    expect(await verifySecret(json.body.items[1].secret, secretHashOf(json.body.items[1].id))).toBe(true);
    expect((await reg.req('GET', `/v1/devices/${json.body.items[1].id}`, { token: reg.rootToken })).body).toMatchObject({ name: 'B', accountId: a.id, epoch: 1 });
    const csv = `unitId,name,accountId\r\n${units[2]},"Van, ""big""",${a.id}\r\n`;
    const c = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(c.status).toBe(201);
    expect((await reg.req('GET', `/v1/devices/${c.body.items[0].id}`, { token: reg.rootToken })).body.name).toBe('Van, "big"');
    const audit = await reg.req('GET', '/v1/audit?limit=1000', { token: reg.rootToken });
    expect(audit.text).not.toContain(c.body.items[0].secret);
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'device.import')).toHaveLength(3);
  });

  it('imports thousands at once (cheap device-secret hashing) and caps an import at 10 000 rows', async () => {
    const units = Array.from({ length: 3000 }, () => unitIdOf());
    const t0 = performance.now();
    const a = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, payload: ['unitId', ...units].join('\n'), headers: { 'content-type': 'text/csv' } });
    expect(a.status).toBe(201);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(new Set(a.body.items.map((i: { secret: string }) => i.secret)).size).toBe(3000);
    expect((reg.db.prepare('SELECT count(*) AS n FROM devices WHERE deleted_at IS NULL').get() as { n: number }).n).toBe(3000);
    const tooMany = ['unitId', ...Array.from({ length: 10_001 }, () => unitIdOf())].join('\n');
    const big = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, payload: tooMany, headers: { 'content-type': 'text/csv' } });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toContain('10000');
  });

  it('answers every bad row at once and imports nothing', async () => {
    const live = await registerDevice(reg);
    const before = deviceTables(reg.db);
    const u = unitIdOf();
    const csv = ['unitId,name,accountId', `${u},a,`, `${u},b,`, 'xyz,c,', `${live.unitId},d,`, `${unitIdOf()},e,00000000-0000-4000-8000-000000000000`, `${unitIdOf()},ok,`].join('\n');
    const a = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(a.status).toBe(400);
    expect(a.body.error.details).toEqual([
      { row: 2, field: 'unitId', message: 'the same unit id as row 1' },
      { row: 3, field: 'unitId', message: 'lower-case hex, 12 to 32 characters' },
      { row: 4, field: 'unitId', message: 'a live device already has this unit id' },
      { row: 5, field: 'accountId', message: 'no such account' },
    ]);
    const j = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, body: { devices: [{ unitId: unitIdOf(), colour: 'red' }, 7] } });
    expect(j.status).toBe(400);
    expect(j.body.error.details.map((d: { row: number }) => d.row)).toEqual([1, 2]);
    const header = await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, payload: 'unit,name\nabc,d', headers: { 'content-type': 'text/csv' } });
    expect(header.status).toBe(400);
    expect(deviceTables(reg.db)).toEqual(before);
    const nested = await reg.createAccount(reg.rootToken, reg.rootAccountId);
    const admin = await reg.createUser(reg.rootToken, nested.id, { deviceAccess: 'full', accountAdmin: true });
    expect((await reg.req('POST', '/v1/devices/import', { token: admin.token, body: { devices: [{ unitId: unitIdOf() }] } })).status).toBe(403);
    expect((await reg.req('POST', '/v1/devices', { token: reg.rootToken, payload: 'unitId\nabc', headers: { 'content-type': 'text/csv' } })).status).toBe(415);
    expect((await reg.req('POST', '/v1/devices/import', { token: reg.rootToken, body: JSON.stringify(`unitId\n${unitIdOf()}`), headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect(deviceTables(reg.db)).toEqual(before);
  });
});
