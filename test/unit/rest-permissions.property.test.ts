/**
 * The permission rule as the REST API applies it: fast-check builds random trees (depth up to 16,
 * hundreds of accounts) and random users through the API (real Fastify via inject, a real SQLite
 * file), then checks every answer of the account and user routes against the reference model
 * (test/helpers/reference-rule.ts, which walks parent pointers). Explicit sibling, uncle, parent
 * and grand-child cases follow.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rights } from '../../cloud/domain/permissions.js';
import {
  refAccount, refMayGrant, refSeesAccount, refUser, roleName, type RefActor, type RefDecision,
} from '../helpers/reference-rule.js';
import { buildTree, rightsArb, treeShapeArb } from '../helpers/random-tree.js';
import { USER_PASSWORD, startRegistry, type Answer, type TestRegistry } from '../helpers/registry.js';

interface ModelUser extends Rights {
  id: string;
  email: string;
  accountId: string;
  token: string;
}

let reg: TestRegistry;
/** The whole registry as the model knows it: account -> parent, and every user. */
const parents = new Map<string, string | null>();
const users = new Map<string, ModelUser>();

beforeAll(async () => {
  reg = await startRegistry();
  parents.set(reg.rootAccountId, null);
  const root = reg.services.ctx.users.get(reg.rootUserId)!;
  users.set(root.id, { id: root.id, email: root.email, accountId: reg.rootAccountId, deviceAccess: 'full', accountAdmin: true, token: reg.rootToken });
});
afterAll(() => reg.close());

const STATUS: Record<RefDecision, number> = { allow: 200, forbidden: 403, 'not-found': 404 };
const isFullAdmin = (r: Rights) => r.accountAdmin && r.deviceAccess === 'full';
const refActor = (u: ModelUser): RefActor => ({ accountId: u.accountId, deviceAccess: u.deviceAccess, accountAdmin: u.accountAdmin });

/** Collects every answer that differs from the model, with enough words to reproduce it. */
class Checker {
  readonly wrong: string[] = [];
  count = 0;
  expect(what: string, got: Answer, status: number): void {
    this.count++;
    if (got.status !== status) this.wrong.push(`${what}: got ${got.status} ${got.text.slice(0, 160)}, expected ${status}`);
  }
}

async function listAll(token: string, limit: number): Promise<{ ids: string[]; statuses: number[] }> {
  const ids: string[] = [];
  const statuses: number[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${cursor}` : '';
    const a = await reg.req('GET', `/v1/accounts?limit=${limit}${q}`, { token });
    statuses.push(a.status);
    if (a.status !== 200) break;
    if (a.body.items.length > limit) statuses.push(-1);
    ids.push(...a.body.items.map((x: { id: string }) => x.id));
    cursor = a.body.nextCursor;
  } while (cursor);
  return { ids, statuses };
}

async function checkAccounts(c: Checker, actor: ModelUser, targets: readonly string[], grant: Rights): Promise<void> {
  const me = refActor(actor);
  const tag = `${roleName(actor)}@${actor.accountId.slice(0, 8)}`;
  for (const t of targets) {
    const tok = () => users.get(actor.id)!.token;
    c.expect(`${tag} GET account ${t}`, await reg.req('GET', `/v1/accounts/${t}`, { token: tok() }), STATUS[refAccount(parents, me, 'read', t)]);
    c.expect(`${tag} PATCH settings ${t}`, await reg.req('PATCH', `/v1/accounts/${t}`, { token: tok(), body: { settings: { telemetryIntervalMs: 1000 } } }), STATUS[refAccount(parents, me, 'settings', t)]);
    c.expect(`${tag} PATCH name ${t}`, await reg.req('PATCH', `/v1/accounts/${t}`, { token: tok(), body: { name: `renamed by ${actor.id.slice(0, 8)}` } }), STATUS[refAccount(parents, me, 'rename', t)]);
    const list = await reg.req('GET', `/v1/accounts/${t}/users?limit=1000`, { token: tok() });
    const listDecision = refUser(parents, me, 'list', t);
    c.expect(`${tag} GET users of ${t}`, list, STATUS[listDecision]);
    if (listDecision === 'allow' && list.status === 200) {
      const want = [...users.values()].filter((u) => u.accountId === t).map((u) => u.id).sort();
      const got = list.body.items.map((u: { id: string }) => u.id).sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) c.wrong.push(`${tag} users of ${t}: got ${got}, expected ${want}`);
    }
    // An email that is taken: an allowed creation answers 409 before any hashing, so the rule is
    // checked for every grant without creating users.
    const body = { email: actor.email, name: 'dup', password: USER_PASSWORD, ...grant };
    const created = refUser(parents, me, 'create', t, grant, grant);
    c.expect(`${tag} POST user ${roleName(grant)} in ${t}`, await reg.req('POST', `/v1/accounts/${t}/users`, { token: tok(), body }), created === 'allow' ? 409 : STATUS[created]);
    await checkDeleteAccount(c, actor, t);
  }
}

async function checkDeleteAccount(c: Checker, actor: ModelUser, t: string): Promise<void> {
  const d = refAccount(parents, refActor(actor), 'delete', t);
  const holds = [...parents.values()].includes(t) || [...users.values()].some((u) => u.accountId === t);
  const want = d === 'allow' ? (holds ? 409 : 204) : STATUS[d];
  const got = await reg.req('DELETE', `/v1/accounts/${t}`, { token: users.get(actor.id)!.token });
  c.expect(`${roleName(actor)} DELETE account ${t}`, got, want);
  if (got.status === 204) parents.delete(t);
}

async function checkUsers(c: Checker, actor: ModelUser, targets: readonly ModelUser[], grants: readonly Rights[], deletes: readonly boolean[]): Promise<void> {
  for (const [i, target] of targets.entries()) {
    if (!users.has(target.id) || !users.has(actor.id)) continue;
    // Read every time: the actor may just have changed its own rights.
    const me = refActor(actor);
    const current: Rights = { deviceAccess: target.deviceAccess, accountAdmin: target.accountAdmin };
    const grant = grants[i % grants.length]!;
    const d = refUser(parents, me, 'update', target.accountId, current, grant);
    const rootAdmins = [...users.values()].filter((u) => u.accountId === reg.rootAccountId && isFullAdmin(u)).length;
    const lockout = target.accountId === reg.rootAccountId && isFullAdmin(current) && !isFullAdmin(grant) && rootAdmins <= 1;
    const got = await reg.req('PATCH', `/v1/users/${target.id}`, { token: users.get(actor.id)!.token, body: grant });
    c.expect(`${roleName(actor)} PATCH user ${roleName(current)}->${roleName(grant)} in ${target.accountId}`, got, d === 'allow' ? (lockout ? 409 : 200) : STATUS[d]);
    if (got.status === 200) {
      Object.assign(target, grant);
      // A demoted user's sessions end at once: the model takes a new one.
      if (!refMayGrant(grant, current)) target.token = reg.tokenFor(target.id);
    }
    if (deletes[i % deletes.length] && target.id !== actor.id) {
      const dd = refUser(parents, me, 'delete', target.accountId, { deviceAccess: target.deviceAccess, accountAdmin: target.accountAdmin });
      const del = await reg.req('DELETE', `/v1/users/${target.id}`, { token: users.get(actor.id)!.token });
      c.expect(`${roleName(actor)} DELETE user ${target.id}`, del, dd === 'allow' ? 204 : STATUS[dd]);
      if (del.status === 204) users.delete(target.id);
    }
  }
}

const runArb = fc.record({
  shape: treeShapeArb({ minNodes: 100, maxNodes: 260, maxDepth: 15 }),
  people: fc.array(fc.tuple(fc.nat(), rightsArb), { minLength: 4, maxLength: 7 }),
  targets: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  userTargets: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  grants: fc.array(rightsArb, { minLength: 3, maxLength: 3 }),
  deletes: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});

describe('REST answers match the reference model on random trees', () => {
  it('list, get, patch, delete accounts; list, create, patch, delete users', { timeout: 60_000 }, async () => {
    let checked = 0;
    let maxDepth = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        // Each run builds its own subtree under the root (depth 1 + up to 15 = the cap of 16).
        const tree = await buildTree(reg, reg.rootToken, reg.rootAccountId, run.shape, parents);
        for (const [k, v] of tree.parents) parents.set(k, v);
        maxDepth = Math.max(maxDepth, (reg.db.prepare('SELECT max(depth) AS d FROM accounts').get() as { d: number }).d);
        const fresh: ModelUser[] = [];
        for (const [pick, rights] of run.people) {
          const accountId = tree.ids[pick % tree.ids.length]!;
          const { user, token } = await reg.createUser(reg.rootToken, accountId, rights);
          const m = { id: user.id, email: user.email, accountId, token, ...rights };
          users.set(m.id, m);
          fresh.push(m);
        }
        const c = new Checker();
        const everyone = [...users.values()];
        for (const actor of [...fresh, users.get(reg.rootUserId)!]) {
          if (!users.has(actor.id)) continue;
          const { ids, statuses } = await listAll(actor.token, 97);
          const want = [...parents.keys()].filter((id) => refSeesAccount(parents, refActor(actor), id)).sort();
          c.count++;
          if (!statuses.every((s) => s === 200)) c.wrong.push(`${roleName(actor)} list pages answered ${statuses}`);
          if (JSON.stringify([...ids].sort()) !== JSON.stringify(want)) c.wrong.push(`${roleName(actor)} list: ${ids.length} ids, expected ${want.length}`);
          const up = parents.get(actor.accountId);
          const accountTargets = [actor.accountId, ...(up ? [up] : []), reg.rootAccountId, ...run.targets.map((t) => tree.ids[t % tree.ids.length]!)];
          await checkAccounts(c, actor, accountTargets, run.grants[0]!);
          const userTargets = [actor, ...run.userTargets.map((t) => everyone[t % everyone.length]!)];
          await checkUsers(c, actor, userTargets, run.grants, run.deletes);
        }
        checked += c.count;
        expect(c.wrong).toEqual([]);
      }),
      { numRuns: 8, endOnFailure: true },
    );
    expect(checked).toBeGreaterThan(500);
    // Chains reach the cap of 16 in almost every run; never below 12 over eight runs.
    expect(maxDepth).toBeGreaterThanOrEqual(12);
    expect(maxDepth).toBeLessThanOrEqual(16);
  });
});

describe('explicit positions: parent, sibling, uncle, child, grand-child', () => {
  // R ─┬─ P ─┬─ A ── C ── GC
  //    │     └─ S
  //    └─ U
  let ids: Record<'P' | 'A' | 'S' | 'U' | 'C' | 'GC', string>;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    const t = reg.rootToken;
    const P = (await reg.createAccount(t, reg.rootAccountId, 'P')).id;
    const U = (await reg.createAccount(t, reg.rootAccountId, 'U')).id;
    const A = (await reg.createAccount(t, P, 'A')).id;
    const S = (await reg.createAccount(t, P, 'S')).id;
    const C = (await reg.createAccount(t, A, 'C')).id;
    const GC = (await reg.createAccount(t, C, 'GC')).id;
    ids = { P, A, S, U, C, GC };
    admin = (await reg.createUser(t, A, { deviceAccess: 'full', accountAdmin: true })).token;
    reader = (await reg.createUser(t, A, { deviceAccess: 'read', accountAdmin: false })).token;
  });

  const get = (token: string, id: string) => reg.req('GET', `/v1/accounts/${id}`, { token }).then((a) => a.status);

  it('an admin of A reads A, its child and grand-child; parent, sibling and uncle are 404', async () => {
    const got = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await get(admin, id)])));
    expect(got).toEqual({ P: 404, A: 200, S: 404, U: 404, C: 200, GC: 200 });
    expect(await get(admin, reg.rootAccountId)).toBe(404);
  });

  it('lists exactly A, C and GC', async () => {
    const a = await reg.req('GET', '/v1/accounts', { token: admin });
    expect(a.body.items.map((x: { name: string }) => x.name).sort()).toEqual(['A', 'C', 'GC']);
  });

  it('changes the grand-child, not the sibling or the uncle (404), nor the parent (404)', async () => {
    const patch = (id: string) => reg.req('PATCH', `/v1/accounts/${id}`, { token: admin, body: { name: 'changed' } }).then((a) => a.status);
    expect(await patch(ids.GC)).toBe(200);
    expect([await patch(ids.S), await patch(ids.U), await patch(ids.P)]).toEqual([404, 404, 404]);
    const before = reg.snapshot();
    expect((await reg.req('DELETE', `/v1/accounts/${ids.S}`, { token: admin })).status).toBe(404);
    expect((await reg.req('POST', `/v1/accounts/${ids.U}/users`, { token: admin, body: { email: 'x-uncle@test.local', name: 'x', password: USER_PASSWORD, deviceAccess: 'read', accountAdmin: false } })).status).toBe(404);
    expect(reg.snapshot()).toEqual(before);
  });

  it('a non-admin reads its subtree but changes nothing (403), and still sees nothing beside (404)', async () => {
    expect(await get(reader, ids.GC)).toBe(200);
    expect(await get(reader, ids.S)).toBe(404);
    expect((await reg.req('PATCH', `/v1/accounts/${ids.C}`, { token: reader, body: { name: 'nope' } })).status).toBe(403);
    expect((await reg.req('PATCH', `/v1/accounts/${ids.S}`, { token: reader, body: { name: 'nope' } })).status).toBe(404);
    expect((await reg.req('GET', `/v1/accounts/${ids.C}/users`, { token: reader })).status).toBe(403);
  });

  it('the grand-child admin sees nothing of A', async () => {
    const gcAdmin = (await reg.createUser(reg.rootToken, ids.GC, { deviceAccess: 'full', accountAdmin: true })).token;
    expect(await get(gcAdmin, ids.A)).toBe(404);
    expect(await get(gcAdmin, ids.C)).toBe(404);
    expect((await reg.req('GET', `/v1/accounts/${ids.A}/users`, { token: gcAdmin })).status).toBe(404);
    const list = await reg.req('GET', '/v1/accounts', { token: gcAdmin });
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([ids.GC]);
  });
});
