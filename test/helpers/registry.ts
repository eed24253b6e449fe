/**
 * A real registry for tests: a temp dir with a real SQLite file, `buildApp` (driven with inject),
 * and the root account with a known administrator already logged in. `close()` closes the app and
 * the database and removes the dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp, type App } from '../../cloud/app.js';
import { loadConfig } from '../../cloud/config.js';
import type { Rights } from '../../cloud/domain/permissions.js';
import type { Services } from '../../cloud/http/services.js';
import { ensureRoot } from '../../cloud/services/bootstrap.js';
import { openDb, type Db } from '../../cloud/store/db.js';
import type { Account, User } from '../../protocol/api.js';

export const ROOT_EMAIL = 'root@test.local';
export const ROOT_PASSWORD = 'root-password-1';
/** A valid password for users the tests create. */
export const USER_PASSWORD = 'user-password-1';

export interface RegistryOptions {
  /** Injected clock (default Date.now). */
  now?: () => number;
  /** Extra environment for loadConfig (DATA_DIR and LOG_LEVEL are set by the harness). */
  env?: Record<string, string>;
}

export interface Answer {
  status: number;
  /** The parsed JSON body, or undefined when empty or not JSON. */
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** A raw payload sent as is (bad JSON, huge bodies). */
  payload?: string | Buffer;
  headers?: Record<string, string>;
  /** Source address (rate limits key on it); default 127.0.0.1. */
  remoteAddress?: string;
}

export interface TestRegistry {
  app: App;
  services: Services;
  db: Db;
  dir: string;
  rootToken: string;
  rootAccountId: string;
  rootUserId: string;
  /** One request through Fastify's inject; never throws on a status. */
  req(method: string, url: string, opts?: RequestOptions): Promise<Answer>;
  /** POST /v1/auth/login; throws unless 200. */
  login(email: string, password: string): Promise<string>;
  /** POST /v1/accounts as `token`; throws unless 201. */
  createAccount(token: string, parentId: string, name?: string): Promise<Account>;
  /** POST /v1/accounts/:id/users as `token`; throws unless 201. Answers the user and a session token. */
  createUser(token: string, accountId: string, rights: Rights, email?: string): Promise<{ user: User; token: string }>;
  /** A fresh session token for a user without the cost of a login (no scrypt). */
  tokenFor(userId: string): string;
  /** Every account and user row, ordered: compare before and after a refused request. */
  snapshot(): { accounts: unknown[]; users: unknown[] };
  close(): Promise<void>;
}

let seq = 0;
/** A unique email per call (unique across registries too, which keeps failures readable). */
export const uniqueEmail = (tag = 'user') => `${tag}-${process.pid}-${++seq}@test.local`;

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-test-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...opts.env });
  const db = openDb(dir);
  const app = await buildApp({ config, db, log: pino({ level: 'silent' }), ...(opts.now ? { now: opts.now } : {}) });
  await app.http.ready();
  await ensureRoot(app.services.ctx, { email: ROOT_EMAIL, password: ROOT_PASSWORD });
  const services = app.services;

  const req: TestRegistry['req'] = async (method, url, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      headers,
      remoteAddress: o.remoteAddress ?? '127.0.0.1',
      ...(o.payload !== undefined ? { payload: o.payload } : o.body !== undefined ? { payload: o.body as object } : {}),
    });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, headers: res.headers, text: res.body };
  };

  const expectStatus = (a: Answer, status: number, what: string) => {
    if (a.status !== status) throw new Error(`${what}: expected ${status}, got ${a.status} ${a.text}`);
    return a.body;
  };

  const login = async (email: string, password: string) =>
    (expectStatus(await req('POST', '/v1/auth/login', { body: { email, password } }), 200, 'login') as { token: string }).token;

  const tokenFor = (userId: string) => services.auth.issue(userId, 'session', 'test', null).token;

  const rootToken = await login(ROOT_EMAIL, ROOT_PASSWORD);
  const root = services.ctx.accounts.root()!;
  const rootUser = services.ctx.users.byEmail(ROOT_EMAIL)!;

  return {
    app,
    services,
    db,
    dir,
    rootToken,
    rootAccountId: root.id,
    rootUserId: rootUser.id,
    req,
    login,
    tokenFor,
    async createAccount(token, parentId, name = `acct-${++seq}`) {
      return expectStatus(await req('POST', '/v1/accounts', { token, body: { name, parentId } }), 201, 'create account');
    },
    async createUser(token, accountId, rights, email = uniqueEmail()) {
      const body = { email, name: email.split('@')[0], password: USER_PASSWORD, ...rights };
      const user = expectStatus(await req('POST', `/v1/accounts/${accountId}/users`, { token, body }), 201, 'create user') as User;
      return { user, token: tokenFor(user.id) };
    },
    snapshot: () => ({
      accounts: db.prepare('SELECT * FROM accounts ORDER BY id').all(),
      users: db.prepare('SELECT * FROM users ORDER BY id').all(),
    }),
    async close() {
      await app.http.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A controllable clock for `startRegistry({ now })`. */
export function testClock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
}
