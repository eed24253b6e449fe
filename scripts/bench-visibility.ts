/**
 * bench-visibility: the cost of the permission rule at fleet size (issue 3, "Done when").
 * Builds 100 000 accounts, deep (chains to MAX_DEPTH 16) and wide (random parents), and 10 000
 * users, inserted directly with one fixed password hash so setup takes seconds. Then, in one run:
 *
 * - `GET /v1/accounts?limit=100` through Fastify's inject (auth hook, subtree range scan, counts,
 *   serialization): p50/p99 for actors at the root, in the middle and deep down, and for the root
 *   with a cursor half way through its walk;
 * - a sees-account check (target path by primary key + `authorize`), with the actor already
 *   loaded (what a request pays after authentication) and with the actor loaded too, against a
 *   plain indexed primary-key lookup of an account, interleaved in rounds to share the noise.
 *
 *   npm run build && node dist/scripts/bench-visibility.js [accounts=100000] [users=10000] [requests=2000] [cacheMb]
 *
 * `cacheMb` sets SQLite's page cache for the run (default: what openDb sets, as the registry runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp, type App } from '../cloud/app.js';
import { loadConfig } from '../cloud/config.js';
import { authorize, type Actor, type DeviceAccess } from '../cloud/domain/permissions.js';
import { ensureRoot } from '../cloud/services/bootstrap.js';
import { encodeCursor } from '../cloud/services/cursor.js';
import { hashSecret } from '../cloud/services/secrets.js';
import { openDb, type Db } from '../cloud/store/db.js';

const [ACCOUNTS = 100_000, USERS = 10_000, REQUESTS = 2000, CACHE_MB = 0] = process.argv.slice(2).map(Number);
const MAX_DEPTH = 16;

/** mulberry32: a small seeded PRNG, so every run builds the same tree. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(16);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** Deterministic UUID-shaped ids (the registry's ids are UUIDs; paths keep their length). */
const idOf = (kind: number, n: number) => `${hex(n, 8)}-${hex(kind, 4)}-4000-8000-${hex(n * 7919, 12).slice(-12)}`;

interface Tree {
  ids: string[];
  paths: string[];
  depths: number[];
}

/** Half the accounts extend a chain (deep), half hang under a random account (wide). */
function insertAccounts(db: Db, root: { id: string; path: string }): Tree {
  const tree: Tree = { ids: [root.id], paths: [root.path], depths: [0] };
  const insert = db.prepare('INSERT INTO accounts (id, name, parent_id, path, depth, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i < ACCOUNTS; i++) {
      let parent = rand() < 0.5 ? i - 1 : Math.floor(rand() * i);
      while (tree.depths[parent]! >= MAX_DEPTH) parent = Math.floor(rand() * i);
      const id = idOf(1, i);
      const path = `${tree.paths[parent]}${id}/`;
      insert.run(id, `customer ${i}`, tree.ids[parent], path, tree.depths[parent]! + 1, '{}', i);
      tree.ids.push(id);
      tree.paths.push(path);
      tree.depths.push(tree.depths[parent]! + 1);
    }
  })();
  return tree;
}

const ACCESS: DeviceAccess[] = ['none', 'read', 'full'];

function insertUsers(db: Db, tree: Tree, hash: string): string[] {
  const insert = db.prepare('INSERT INTO users (id, account_id, email, name, password_hash, device_access, account_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const ids: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < USERS; i++) {
      const id = idOf(2, i);
      insert.run(id, pick(tree.ids), `user${i}@bench.local`, `User ${i}`, hash, pick(ACCESS), rand() < 0.3 ? 1 : 0, i);
      ids.push(id);
    }
  })();
  return ids;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

interface Latency {
  p50: number;
  p99: number;
  /** p99 of the process CPU time per request: wall time minus waiting for a busy machine's CPU. */
  cpuP99: number;
  items: number;
}

/** p50/p99 in ms of `GET /v1/accounts?limit=100` for one actor. */
async function listLatency(app: App, token: string, n: number, url = '/v1/accounts?limit=100'): Promise<Latency> {
  const times: number[] = [];
  const cpu: number[] = [];
  let items = 0;
  for (let i = 0; i < n + 50; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await app.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    const dc = process.cpuUsage(c0);
    if (res.statusCode !== 200) throw new Error(`GET /v1/accounts answered ${res.statusCode}`);
    if (i >= 50) {
      // the first 50 warm up the JIT and the page cache
      times.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
    if (i === 0) items = (JSON.parse(res.body) as { items: unknown[] }).items.length;
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99), cpuP99: pct(cpu, 99), items };
}

/** ns per operation of each contender, interleaved over `rounds`; the median round counts. */
function compare(contenders: Record<string, (i: number) => unknown>, perRound: number, rounds: number): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) if (fn(r * perRound + i)) sink++;
      samples[name]!.push(Number(process.hrtime.bigint() - t0) / perRound);
    }
  }
  if (sink < 0) console.log(sink);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!]));
}

function visibilityContenders(db: Db, tree: Tree, users: string[]) {
  const pkLookup = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const pkProbe = db.prepare('SELECT path FROM accounts WHERE id = ?').pluck();
  const targetPath = db.prepare('SELECT path FROM accounts WHERE id = ?').pluck();
  const actorRow = db.prepare('SELECT u.id, u.account_id, u.device_access, u.account_admin, a.path FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = ?');
  const targets = Array.from({ length: 1 << 16 }, () => pick(tree.ids));
  const actorIds = Array.from({ length: 1 << 16 }, () => pick(users));
  const loadActor = (id: string): Actor => {
    const r = actorRow.get(id) as { id: string; account_id: string; device_access: DeviceAccess; account_admin: number; path: string };
    return { userId: r.id, accountId: r.account_id, accountPath: r.path, deviceAccess: r.device_access, accountAdmin: r.account_admin === 1 };
  };
  const loaded = actorIds.map(loadActor);
  const mask = (1 << 16) - 1;
  const sees = (actor: Actor, target: string) => authorize(actor, { kind: 'account.read', path: (targetPath.get(target) as string | undefined) ?? '' }) === 'allow';
  return {
    'primary-key lookup (SELECT * FROM accounts WHERE id = ?)': (i: number) => pkLookup.get(targets[i & mask]!),
    'primary-key probe, one column (SELECT path FROM accounts WHERE id = ?)': (i: number) => pkProbe.get(targets[i & mask]!),
    'sees-account, actor already loaded (target path by PK + authorize)': (i: number) => sees(loaded[i & mask]!, targets[i & mask]!),
    'sees-account, actor loaded too (actor path + target path by PK + authorize)': (i: number) => sees(loadActor(actorIds[i & mask]!), targets[i & mask]!),
  };
}

/** Actors for the list benchmark: a root admin, and users at depth 1, about 8 and the deepest. */
function listActors(db: Db, tree: Tree, app: App, rootUserId: string): [string, string][] {
  const byDepth = (d: number) => db.prepare('SELECT u.id FROM users u JOIN accounts a ON a.id = u.account_id WHERE a.depth = ? LIMIT 1').pluck().get(d) as string | undefined;
  const deepest = Math.max(...tree.depths);
  const out: [string, string][] = [['root admin (sees all)', rootUserId]];
  for (const [label, d] of [['depth 1', 1], ['depth 8', 8], [`depth ${deepest}`, deepest]] as const) {
    const id = byDepth(d);
    if (id) out.push([label, id]);
  }
  return out.map(([label, id]) => {
    const visible = db.prepare('SELECT count(*) FROM accounts WHERE path >= ? AND path < ?').pluck();
    const path = db.prepare('SELECT a.path FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = ?').pluck().get(id) as string;
    const n = visible.get(path, `${path.slice(0, -1)}0`) as number;
    return [`${label}, sees ${n.toLocaleString('en')}`, app.services.auth.issue(id, 'session', 'bench', null).token];
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-visibility-'));
  const db = openDb(dir);
  try {
    const app = await buildApp({ config: loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), db, log: pino({ level: 'silent' }) });
    await app.http.ready();
    await ensureRoot(app.services.ctx, { email: 'root@bench.local', password: 'bench-password' });
    const root = app.services.ctx.accounts.root()!;
    const t0 = Date.now();
    const tree = insertAccounts(db, root);
    const users = insertUsers(db, tree, await hashSecret('bench-password'));
    db.pragma('optimize');
    if (CACHE_MB > 0) db.pragma(`cache_size = -${CACHE_MB * 1024}`);
    const setupMs = Date.now() - t0;

    const rootUser = app.services.ctx.users.byEmail('root@bench.local')!.id;
    const rows: string[] = [];
    const actors = listActors(db, tree, app, rootUser);
    for (const [label, token] of actors) {
      const r = await listLatency(app, token, REQUESTS);
      rows.push(`| ${label} | ${r.items} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.cpuP99.toFixed(3)} |`);
    }
    // A page in the middle of the root's walk: the cursor must seek, not scan from the first row.
    const middle = [...tree.paths].sort()[Math.floor(tree.paths.length / 2)]!;
    const mid = await listLatency(app, actors[0]![1], REQUESTS, `/v1/accounts?limit=100&cursor=${encodeCursor(middle)}`);
    rows.push(`| root admin, page at the 50% cursor | ${mid.items} | ${mid.p50.toFixed(3)} | ${mid.p99.toFixed(3)} | ${mid.cpuP99.toFixed(3)} |`);
    const ns = compare(visibilityContenders(db, tree, users), 20_000, 15);
    const base = Object.values(ns)[0]!;
    const cacheMb = Math.round(-(db.pragma('cache_size', { simple: true }) as number) / 1024);
    report({ cacheMb, setupMs, tree, users: users.length, rows, ns, base });
    await app.http.close();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: { cacheMb: number; setupMs: number; tree: Tree; users: number; rows: string[]; ns: Record<string, number>; base: number }): void {
  const depthCounts = r.tree.depths.reduce<number[]>((acc, d) => ((acc[d] = (acc[d] ?? 0) + 1), acc), []);
  const lines = [
    `## bench-visibility (${new Date().toISOString()})`,
    '',
    `${r.tree.ids.length.toLocaleString('en')} accounts (max depth ${Math.max(...r.tree.depths)}; per depth ${depthCounts.join(' / ')}), ${r.users.toLocaleString('en')} users; setup ${r.setupMs} ms.`,
    `SQLite page cache: ${r.cacheMb} MB${CACHE_MB > 0 ? ' (set by the cacheMb argument)' : ' (as the registry opens it)'}. Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    `### GET /v1/accounts?limit=100 (inject, ${REQUESTS} requests per actor after 50 warm-up)`,
    '',
    '| actor | items | p50 ms | p99 ms | p99 CPU ms |',
    '| --- | --- | --- | --- | --- |',
    ...r.rows,
    '',
    '### sees-account vs a primary-key lookup (random targets and actors; median of 15 interleaved rounds of 20 000)',
    '',
    '| operation | ns/op | ratio to PK lookup |',
    '| --- | --- | --- |',
    ...Object.entries(r.ns).map(([k, v]) => `| ${k} | ${v.toFixed(0)} | ${(v / r.base).toFixed(2)}x |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-visibility failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
