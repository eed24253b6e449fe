/**
 * The registry as a process (CONTRACT.md, "Processes"; issue 3, "Operations"): `node` on the
 * built cloud/server.js, on loopback with ephemeral ports. A bad variable exits non-zero with one
 * line; the first start prints the generated password once, outside the JSON log; SIGTERM stops
 * within 5 s with exit 0; /healthz, /metrics (behind METRICS_TOKEN) and /docs answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, compileEntry } from '../helpers/compile.js';

const OUT = join(REPO, 'dist', `registry-test-${process.pid}`);
let serverJs: string;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'registry-proc-'));
  dirs.push(d);
  return d;
};

beforeAll(() => {
  serverJs = compileEntry('cloud/server.ts', OUT);
}, 180_000);
afterAll(() => {
  for (const d of [...dirs, OUT]) rmSync(d, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Only what the registry needs: no inherited ADMIN_*, METRICS_TOKEN or ports from the shell. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'info', ...extra };
}

function run(extra: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Running['exit'] } {
  const child = spawn(process.execPath, [serverJs], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Starts the registry and waits for Fastify's "Server listening at" line to learn the port. */
async function start(extra: Record<string, string>): Promise<Running> {
  const r = run(extra);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(r.stdout());
    if (m && r.stdout().includes('registry ready')) return { ...r, port: Number(m[1]) };
    if (r.child.exitCode !== null) throw new Error(`registry exited ${r.child.exitCode}: ${r.stderr()}`);
    if (Date.now() > deadline) throw new Error(`registry did not start: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(r: Running): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  r.child.kill('SIGTERM');
  const { code } = await r.exit;
  return { code, ms: Date.now() - t0 };
}

describe('bad configuration', () => {
  it.each([
    ['HTTP_PORT', 'abc'], ['MAX_DEPTH', '0'], ['LOG_LEVEL', 'loud'], ['METRICS_TOKEN', 'short'], ['ADMIN_EMAIL', 'nope'],
  ])('%s=%s exits non-zero with one line naming it', async (name, value) => {
    const r = run({ DATA_DIR: tempDir(), [name]: value });
    const { code } = await r.exit;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = r.stderr().trim().split('\n');
    expect(lines, r.stderr()).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(r.stdout()).toBe('');
  });
});

describe('a running registry', () => {
  let first: Running;
  let dataDir: string;
  let password: string;
  const METRICS_TOKEN = 'metrics-token-0123456789';
  const url = (path: string) => `http://127.0.0.1:${first.port}${path}`;

  beforeAll(async () => {
    dataDir = tempDir();
    first = await start({ DATA_DIR: dataDir, METRICS_TOKEN });
    password = /password: (\S+)/.exec(first.stderr())?.[1] ?? '';
  }, 60_000);
  afterAll(async () => {
    if (first.child.exitCode === null) await stop(first);
  });

  it('printed the generated admin password once on stderr, never in the JSON log, and it works', async () => {
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(first.stderr().split(password)).toHaveLength(2);
    expect(first.stdout()).not.toContain(password);
    for (const line of first.stdout().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    const login = await fetch(url('/v1/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@fleet.local', password }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    expect(first.stdout()).not.toContain(token);
  });

  it('answers /healthz', async () => {
    const a = await fetch(url('/healthz'));
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ status: 'ok' });
  });

  it('keeps /metrics behind METRICS_TOKEN and serves Prometheus text with the bearer', async () => {
    expect((await fetch(url('/metrics'))).status).toBe(401);
    expect((await fetch(url('/metrics'), { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const a = await fetch(url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toContain('text/plain');
    const text = await a.text();
    expect(text).toMatch(/^fleet_accounts 1$/m);
    expect(text).toMatch(/^fleet_users 1$/m);
    expect(text).toContain('fleet_http_requests_total{');
    expect(text).toContain('fleet_login_failures_total');
    expect(text).not.toContain('admin@fleet.local');
  });

  it('serves /docs as an OpenAPI document listing the routes', async () => {
    const a = await fetch(url('/docs'));
    expect(a.status).toBe(200);
    const doc = (await a.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    for (const r of [
      'POST /v1/auth/login', 'POST /v1/auth/logout', 'GET /v1/me', 'PATCH /v1/me', 'GET /v1/tokens', 'POST /v1/tokens', 'DELETE /v1/tokens/{id}',
      'GET /v1/accounts', 'POST /v1/accounts', 'GET /v1/accounts/{id}', 'PATCH /v1/accounts/{id}', 'DELETE /v1/accounts/{id}',
      'GET /v1/accounts/{id}/users', 'POST /v1/accounts/{id}/users', 'PATCH /v1/users/{id}', 'DELETE /v1/users/{id}', 'GET /v1/audit',
    ]) expect(routes).toContain(r);
    const create = doc.paths['/v1/accounts/{id}/users']!.post as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } };
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties).sort()).toEqual(['accountAdmin', 'deviceAccess', 'email', 'name', 'password']);
  });

  it('stops on SIGTERM within 5 s with exit 0, and a restart prints no password', async () => {
    const { code, ms } = await stop(first);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
    const again = await start({ DATA_DIR: dataDir });
    expect(again.stderr()).not.toContain('password');
    const { code: code2 } = await stop(again);
    expect(code2).toBe(0);
  }, 40_000);
});
