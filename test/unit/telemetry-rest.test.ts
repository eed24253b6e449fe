/**
 * GET /v1/devices/:id/telemetry: only records attributed to accounts the caller sees, paginated
 * both ways without skips or repeats; an old owner keeps reading its history, `none` sees nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryStore } from '../../cloud/store/telemetry-store.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

describe('telemetry over REST', () => {
  let reg: TestRegistry;
  let a: { id: string; path: string };
  let b: { id: string; path: string };
  let deviceId: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    reg = await startRegistry();
    const pathOf = (id: string) => reg.services.ctx.accounts.get(id)!.path;
    const ida = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'A')).id;
    const idb = (await reg.createAccount(reg.rootToken, reg.rootAccountId, 'B')).id;
    a = { id: ida, path: pathOf(ida) };
    b = { id: idb, path: pathOf(idb) };
    tokens.A = (await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'read', accountAdmin: false })).token;
    tokens.B = (await reg.createUser(reg.rootToken, b.id, { deviceAccess: 'read', accountAdmin: false })).token;
    tokens.none = (await reg.createUser(reg.rootToken, a.id, { deviceAccess: 'none', accountAdmin: false })).token;
    const dev = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: '0000feed0000beef', accountId: a.id } });
    deviceId = dev.body.id;
    const store = new TelemetryStore(reg.db);
    reg.db.transaction(() => {
      for (let seq = 1; seq <= 9; seq++) {
        const owner = seq <= 5 ? a : b;
        store.insert({ device_id: deviceId, stream: 'stream-rest-1', seq, epoch: 1, ts: 1000 + seq * 10, kind: 'obd', data: JSON.stringify({ seq }), account_id: owner.id, account_path: owner.path, received_at: 1 });
      }
    })();
    // The device now belongs to B: A is an old owner.
    expect((await reg.req('POST', '/v1/devices/assign', { token: reg.rootToken, body: { accountId: b.id, deviceIds: [deviceId] } })).status).toBe(200);
  });
  afterAll(async () => reg?.close());

  async function walk(token: string, order: 'asc' | 'desc'): Promise<number[]> {
    const seqs: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/devices/${deviceId}/telemetry?limit=2&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await reg.req('GET', q, { token });
      expect(r.status).toBe(200);
      seqs.push(...r.body.items.map((i: { seq: number }) => i.seq));
      cursor = r.body.nextCursor;
    } while (cursor);
    return seqs;
  }

  it('pages oldest first and newest first, each record once', async () => {
    expect(await walk(reg.rootToken, 'asc')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await walk(reg.rootToken, 'desc')).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('shows each owner only what was attributed to it; an old owner keeps its history', async () => {
    expect(await walk(tokens.A!, 'asc')).toEqual([1, 2, 3, 4, 5]);
    expect(await walk(tokens.B!, 'desc')).toEqual([9, 8, 7, 6]);
    const r = await reg.req('GET', `/v1/devices/${deviceId}/telemetry?from=1030&to=1070`, { token: reg.rootToken });
    expect(r.body.items.map((i: { seq: number }) => i.seq)).toEqual([3, 4, 5, 6]);
  });

  it('answers 404 to users without device access and for unknown devices; 400 for a cursor of the other order', async () => {
    expect((await reg.req('GET', `/v1/devices/${deviceId}/telemetry`, { token: tokens.none })).status).toBe(404);
    expect((await reg.req('GET', '/v1/devices/00000000-0000-0000-0000-000000000000/telemetry', { token: reg.rootToken })).status).toBe(404);
    const first = await reg.req('GET', `/v1/devices/${deviceId}/telemetry?limit=1`, { token: reg.rootToken });
    expect((await reg.req('GET', `/v1/devices/${deviceId}/telemetry?order=desc&cursor=${first.body.nextCursor}`, { token: reg.rootToken })).status).toBe(400);
  });
});
