/**
 * A fast-check fuzz pass over every account, user, token, profile, audit and login route: at
 * least 1 000 generated requests per route (random bodies, params, queries and the tokens of
 * other users, nested ones included, revoked ones too). The oracle: no answer is a 5xx, and no
 * answer is a 2xx for anything the reference model of the rule forbids.
 *
 * The tree and the users live in the database; the model re-reads them after every change that
 * succeeded and decides with test/helpers/reference-rule.ts (parent pointers, not paths).
 * Users are created once up front (scrypt is slow); deleted ones are replaced by direct inserts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceAccess, Rights } from '../../cloud/domain/permissions.js';
import { hashSecret } from '../../cloud/services/secrets.js';
import { anyValue, body, bool, deviceAccess, email, name, password, query, rarely, ref, settings, sometimes } from '../helpers/fuzz-arbitraries.js';
import { refAccount, refMayGrant, refSeesAccount, refUser, ROLES, type RefActor } from '../helpers/reference-rule.js';
import { ROOT_EMAIL, ROOT_PASSWORD, USER_PASSWORD, startRegistry, type Answer, type TestRegistry } from '../helpers/registry.js';

const RUNS = 1000;

interface ModelUser extends Rights {
  id: string;
  accountId: string;
  email: string;
}
interface PoolToken {
  token: string | undefined;
  userId: string | null;
  revoked: boolean;
  apiId?: string;
}

let reg: TestRegistry;
let cheapHash: string;
const parents = new Map<string, string | null>();
const users = new Map<string, ModelUser>();
const passwords = new Map<string, string>();
const pool: PoolToken[] = [];
const violations: string[] = [];
const statuses = new Map<string, Map<number, number>>();

function reload(): void {
  parents.clear();
  for (const r of reg.db.prepare('SELECT id, parent_id FROM accounts').all() as { id: string; parent_id: string | null }[]) parents.set(r.id, r.parent_id);
  users.clear();
  for (const r of reg.db.prepare('SELECT id, account_id, email, device_access, account_admin FROM users ORDER BY id').all() as {
    id: string; account_id: string; email: string; device_access: DeviceAccess; account_admin: number;
  }[]) users.set(r.id, { id: r.id, accountId: r.account_id, email: r.email, deviceAccess: r.device_access, accountAdmin: r.account_admin === 1 });
}

function addToken(userId: string): void {
  pool.push({ token: reg.tokenFor(userId), userId, revoked: false });
}

function revokeAllOf(userId: string): void {
  for (const t of pool) if (t.userId === userId) t.revoked = true;
}

/** Replaces a deleted user with a cheap direct insert (no scrypt), so the pool keeps actors. */
function replenishUser(): void {
  const accounts = [...parents.keys()];
  const rights = ROLES[users.size % ROLES.length]!;
  const id = randomUUID();
  const email = `refill-${id.slice(0, 8)}@test.local`;
  reg.services.ctx.users.insert({
    id, account_id: accounts[users.size % accounts.length]!, email, name: 'refill', password_hash: cheapHash,
    device_access: rights.deviceAccess, account_admin: rights.accountAdmin ? 1 : 0, created_at: Date.now(),
  });
  passwords.set(email, USER_PASSWORD);
  reload();
  addToken(id);
}

beforeAll(async () => {
  reg = await startRegistry();
  cheapHash = await hashSecret(USER_PASSWORD);
  passwords.set(ROOT_EMAIL, ROOT_PASSWORD);
  const t = reg.rootToken;
  // R ─┬─ P ─┬─ A ── C ── GC        plus empty leaves the fuzz may delete
  //    │     └─ S
  //    └─ U ── UC
  const P = (await reg.createAccount(t, reg.rootAccountId, 'P')).id;
  const A = (await reg.createAccount(t, P, 'A')).id;
  const S = (await reg.createAccount(t, P, 'S')).id;
  const C = (await reg.createAccount(t, A, 'C')).id;
  const GC = (await reg.createAccount(t, C, 'GC')).id;
  const U = (await reg.createAccount(t, reg.rootAccountId, 'U')).id;
  const UC = (await reg.createAccount(t, U, 'UC')).id;
  for (const parent of [A, C, S, UC, GC]) await reg.createAccount(t, parent, 'leaf');
  pool.push({ token: t, userId: reg.rootUserId, revoked: false }, { token: undefined, userId: null, revoked: true }, { token: 'not-a-token-at-all-but-long-enough', userId: null, revoked: true });
  const placed: [string, Rights][] = [
    [reg.rootAccountId, { deviceAccess: 'read', accountAdmin: true }],
    [P, { deviceAccess: 'full', accountAdmin: true }], [P, { deviceAccess: 'none', accountAdmin: false }],
    [A, { deviceAccess: 'full', accountAdmin: true }], [A, { deviceAccess: 'read', accountAdmin: true }], [A, { deviceAccess: 'full', accountAdmin: false }],
    [C, { deviceAccess: 'none', accountAdmin: true }], [GC, { deviceAccess: 'full', accountAdmin: true }],
    [S, { deviceAccess: 'full', accountAdmin: true }], [U, { deviceAccess: 'read', accountAdmin: true }], [UC, { deviceAccess: 'read', accountAdmin: false }],
  ];
  for (const [accountId, rights] of placed) {
    const { user, token } = await reg.createUser(t, accountId, rights);
    passwords.set(user.email, USER_PASSWORD);
    pool.push({ token, userId: user.id, revoked: false });
  }
  reload();
});
afterAll(async () => {
  // FUZZ_STATS=1 prints how each route answered, to see that the pass reaches the handlers.
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(Object.fromEntries([...statuses].map(([k, v]) => [k, Object.fromEntries(v)]))));
  await reg.close();
});

// --- resolving markers against the model

function resolve(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const accounts = [...parents.keys()];
  const us = [...users.values()];
  const apiIds = pool.filter((t) => t.apiId).map((t) => t.apiId!);
  if (typeof o.$account === 'number') return accounts[o.$account % accounts.length];
  if (typeof o.$user === 'number') return us[o.$user % us.length]!.id;
  if (typeof o.$email === 'number') return us[o.$email % us.length]!.email;
  if (typeof o.$tokenId === 'number') return apiIds.length ? apiIds[o.$tokenId % apiIds.length] : randomUUID();
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
}
const idInPath = (v: unknown) => encodeURIComponent(String(resolve(v)));
const qs = (q: unknown) => Object.entries(q as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');

// --- the oracle

interface Sent {
  caller: ModelUser | undefined;
  token: PoolToken;
  path: string[];
  body: any;
}
const actorOf = (u: ModelUser): RefActor => ({ accountId: u.accountId, deviceAccess: u.deviceAccess, accountAdmin: u.accountAdmin });
const obj = (b: unknown): Record<string, any> => (b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, any>) : {});

interface Route {
  name: string;
  method: string;
  params: fc.Arbitrary<unknown[]>;
  url(params: unknown[]): string;
  body?: fc.Arbitrary<unknown>;
  /** May this request succeed (2xx), given the model before it? */
  allowed(s: Sent): boolean;
  /** Extra checks on a 2xx and the model's update. */
  after?(s: Sent, a: Answer): void;
}

const anyCaller = (s: Sent) => s.caller !== undefined;
const targetUser = (s: Sent) => users.get(s.path[0]!);

const ROUTES: Route[] = [
  {
    name: 'GET /v1/accounts', method: 'GET', params: fc.tuple(query), url: ([q]) => `/v1/accounts?${qs(q)}`, allowed: anyCaller,
    after: (s, a) => {
      for (const item of a.body.items) if (!refSeesAccount(parents, actorOf(s.caller!), item.id)) violations.push(`list leaked ${item.id}`);
    },
  },
  {
    name: 'POST /v1/accounts', method: 'POST', params: fc.constant([]), url: () => '/v1/accounts',
    body: body({ name, parentId: ref, settings }),
    allowed: (s) => anyCaller(s) && refAccount(parents, actorOf(s.caller!), 'create', obj(s.body).parentId) === 'allow',
  },
  { name: 'GET /v1/accounts/:id', method: 'GET', params: fc.tuple(ref), url: ([id]) => `/v1/accounts/${idInPath(id)}`, allowed: (s) => anyCaller(s) && refAccount(parents, actorOf(s.caller!), 'read', s.path[0]!) === 'allow' },
  {
    name: 'PATCH /v1/accounts/:id', method: 'PATCH', params: fc.tuple(ref), url: ([id]) => `/v1/accounts/${idInPath(id)}`,
    body: body({ name, settings }),
    allowed: (s) => {
      if (!s.caller) return false;
      const b = obj(s.body);
      const me = actorOf(s.caller);
      const t = s.path[0]!;
      return (b.name === undefined || refAccount(parents, me, 'rename', t) === 'allow') && (b.settings === undefined || refAccount(parents, me, 'settings', t) === 'allow');
    },
  },
  { name: 'DELETE /v1/accounts/:id', method: 'DELETE', params: fc.tuple(ref), url: ([id]) => `/v1/accounts/${idInPath(id)}`, allowed: (s) => anyCaller(s) && refAccount(parents, actorOf(s.caller!), 'delete', s.path[0]!) === 'allow' },
  {
    name: 'GET /v1/accounts/:id/users', method: 'GET', params: fc.tuple(ref, query), url: ([id, q]) => `/v1/accounts/${idInPath(id)}/users?${qs(q)}`,
    allowed: (s) => anyCaller(s) && refUser(parents, actorOf(s.caller!), 'list', s.path[0]!) === 'allow',
    after: (s, a) => {
      for (const u of a.body.items) if (u.accountId !== s.path[0] || 'password_hash' in u || 'passwordHash' in u) violations.push(`user list item ${JSON.stringify(u)}`);
    },
  },
  {
    name: 'POST /v1/accounts/:id/users', method: 'POST', params: fc.tuple(ref), url: ([id]) => `/v1/accounts/${idInPath(id)}/users`,
    body: body({ email, name, password: fc.oneof({ weight: 3, arbitrary: fc.constant(USER_PASSWORD) }, anyValue), deviceAccess, accountAdmin: bool }),
    allowed: (s) => {
      const b = obj(s.body);
      return anyCaller(s) && refUser(parents, actorOf(s.caller!), 'create', s.path[0]!, undefined, { deviceAccess: b.deviceAccess, accountAdmin: b.accountAdmin === true }) === 'allow';
    },
    after: (s) => passwords.set(String(obj(s.body).email).toLowerCase(), String(obj(s.body).password)),
  },
  {
    name: 'PATCH /v1/users/:id', method: 'PATCH', params: fc.tuple(ref), url: ([id]) => `/v1/users/${idInPath(id)}`,
    body: body({ name, deviceAccess, accountAdmin: bool, password }),
    allowed: (s) => {
      const t = targetUser(s);
      if (!s.caller || !t) return false;
      const b = obj(s.body);
      const grant: Rights = { deviceAccess: b.deviceAccess ?? t.deviceAccess, accountAdmin: b.accountAdmin ?? t.accountAdmin };
      return refUser(parents, actorOf(s.caller), 'update', t.accountId, t, grant) === 'allow';
    },
    after: (s) => {
      const before = targetUser(s)!;
      const b = obj(s.body);
      const grant: Rights = { deviceAccess: b.deviceAccess ?? before.deviceAccess, accountAdmin: b.accountAdmin ?? before.accountAdmin };
      if (typeof b.password === 'string') passwords.set(before.email, b.password);
      if (!refMayGrant(grant, before) || typeof b.password === 'string') {
        revokeAllOf(before.id);
        addToken(before.id);
      }
    },
  },
  {
    name: 'DELETE /v1/users/:id', method: 'DELETE', params: fc.tuple(ref), url: ([id]) => `/v1/users/${idInPath(id)}`,
    allowed: (s) => {
      const t = targetUser(s);
      return !!s.caller && !!t && refUser(parents, actorOf(s.caller), 'delete', t.accountId, t) === 'allow';
    },
    after: (s) => {
      revokeAllOf(s.path[0]!);
      replenishUser();
    },
  },
  { name: 'GET /v1/me', method: 'GET', params: fc.constant([]), url: () => '/v1/me', allowed: anyCaller, after: (s, a) => void (a.body.user.id !== s.caller!.id && violations.push('me is someone else')) },
  {
    name: 'PATCH /v1/me', method: 'PATCH', params: fc.constant([]), url: () => '/v1/me',
    body: body({ name, password, currentPassword: rarely(fc.oneof(fc.constant(USER_PASSWORD), anyValue)), deviceAccess: rarely(deviceAccess), accountAdmin: rarely(bool) }),
    allowed: (s) => anyCaller(s) && (obj(s.body).password === undefined || obj(s.body).currentPassword === passwords.get(s.caller!.email)),
    after: (s, a) => {
      const b = obj(s.body);
      if (typeof b.password === 'string') passwords.set(s.caller!.email, b.password);
      if (a.body.user.deviceAccess !== s.caller!.deviceAccess || a.body.user.accountAdmin !== s.caller!.accountAdmin) violations.push('PATCH /v1/me changed rights');
    },
  },
  { name: 'GET /v1/tokens', method: 'GET', params: fc.constant([]), url: () => '/v1/tokens', allowed: anyCaller },
  {
    name: 'POST /v1/tokens', method: 'POST', params: fc.constant([]), url: () => '/v1/tokens',
    body: body({ name, expiresAt: sometimes(fc.oneof(fc.integer({ min: -1, max: 4_000_000_000_000 }), anyValue)) }),
    allowed: anyCaller,
    after: (s, a) => void pool.push({ token: a.body.token, userId: s.caller!.id, revoked: false, apiId: a.body.id }),
  },
  {
    name: 'DELETE /v1/tokens/:id', method: 'DELETE', params: fc.tuple(ref), url: ([id]) => `/v1/tokens/${idInPath(id)}`,
    allowed: (s) => anyCaller(s) && pool.some((t) => t.apiId === s.path[0] && t.userId === s.caller!.id && !t.revoked),
    after: (s) => pool.filter((t) => t.apiId === s.path[0]).forEach((t) => (t.revoked = true)),
  },
  { name: 'GET /v1/audit', method: 'GET', params: fc.tuple(query), url: ([q]) => `/v1/audit?${qs(q)}`, allowed: (s) => anyCaller(s) && s.caller!.accountAdmin },
  {
    name: 'POST /v1/auth/login', method: 'POST', params: fc.constant([]), url: () => '/v1/auth/login',
    body: body({ email, password: fc.oneof(fc.constantFrom(USER_PASSWORD, ROOT_PASSWORD), anyValue) }),
    allowed: (s) => {
      const b = obj(s.body);
      return typeof b.email === 'string' && passwords.get(b.email.trim().toLowerCase()) === b.password;
    },
  },
  { name: 'POST /v1/auth/logout', method: 'POST', params: fc.constant([]), url: () => '/v1/auth/logout', allowed: anyCaller,
    after: (s) => {
      s.token.revoked = true;
      addToken(s.caller!.id);
    },
  },
];

/** Paths hold raw markers; the oracle needs the resolved ids. */
function pathIds(params: unknown[]): string[] {
  return params.filter((p) => !(p && typeof p === 'object' && ('limit' in p || 'cursor' in p || Object.keys(p).length === 0))).map((p) => String(resolve(p)));
}

/** Mostly a live token of some user; otherwise anything in the pool (revoked, none, garbage). */
const tokenPickArb = fc.oneof({ weight: 4, arbitrary: fc.nat().map((n) => ({ live: true, n })) }, { weight: 1, arbitrary: fc.nat().map((n) => ({ live: false, n })) });

async function fire(route: Route, pick: { live: boolean; n: number }, params: unknown[], rawBody: unknown): Promise<void> {
  const live = pool.filter((t) => !t.revoked && t.userId && users.has(t.userId));
  const from = pick.live && live.length ? live : pool;
  const token = from[pick.n % from.length]!;
  const tokenPick = pick.n;
  const caller = !token.revoked && token.userId ? users.get(token.userId) : undefined;
  const body = resolve(rawBody);
  const raw = body && typeof body === 'object' && '$raw' in body ? String((body as { $raw: unknown }).$raw) : undefined;
  const sent: Sent = { caller, token, path: pathIds(params), body: raw === undefined ? body : undefined };
  const allowed = route.allowed(sent);
  const a = await reg.req(route.method, route.url(params), {
    ...(token.token ? { token: token.token } : {}),
    ...(route.body ? { payload: raw ?? JSON.stringify(body) ?? 'null', headers: { 'content-type': 'application/json' } } : {}),
    // Login attempts from one address: the per-IP limit then caps the scrypt work at 100.
    remoteAddress: route.name === 'POST /v1/auth/login' ? '10.8.0.1' : `10.8.${tokenPick % 4}.1`,
  });
  const seen = statuses.get(route.name) ?? new Map<number, number>();
  seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
  statuses.set(route.name, seen);
  const what = `${route.method} ${route.url(params)} as ${caller ? `${caller.deviceAccess}${caller.accountAdmin ? '-admin' : ''}@${caller.accountId.slice(0, 8)}` : 'nobody'} body=${JSON.stringify(body)?.slice(0, 200)}`;
  if (a.status >= 500) violations.push(`${what}: ${a.status} ${a.text}`);
  if (a.status < 300 && !allowed) violations.push(`${what}: ${a.status} although the rule forbids it`);
  if (a.status >= 400 && a.status < 500 && (typeof a.body?.error?.code !== 'string' || typeof a.body?.error?.message !== 'string')) violations.push(`${what}: error shape ${a.text}`);
  if (a.status < 300 && route.after) route.after(sent, a);
  // Only changes to the tree or to users move the model; tokens are tracked above.
  if (a.status < 300 && route.method !== 'GET' && /accounts|users|me$/.test(route.name)) reload();
}

describe('fuzz: no 5xx, no 2xx the rule forbids', () => {
  for (const route of ROUTES) {
    it(`${route.name}: ${RUNS} requests`, { timeout: 60_000 }, async () => {
      let fired = 0;
      violations.length = 0;
      await fc.assert(
        fc.asyncProperty(tokenPickArb, route.params, route.body ?? fc.constant(undefined), async (tokenPick, params, b) => {
          await fire(route, tokenPick, params, b);
          fired++;
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      expect(fired).toBe(RUNS);
      expect(violations).toEqual([]);
      // The pass must reach the handlers, not only the validators.
      const seen = statuses.get(route.name)!;
      expect([...seen.keys()].some((s) => s < 300), `${route.name} answered ${JSON.stringify([...seen])}`).toBe(true);
    });
  }
});
