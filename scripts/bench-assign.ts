/**
 * Benchmark of the bulk "Process" (issue 4): 100 000 devices registered (inserted directly), 10 000
 * of them moved in one `POST /v1/devices/assign` over real HTTP, against the time to insert 10 000
 * rows in one plain transaction on the same database in the same run; a reader on a second
 * connection (a worker thread, since the move holds the main thread) times a query every few ms
 * and reports its longest wait, beside the longest the registry's own event loop was held (what
 * other requests of the same process wait); and `GET /v1/devices` latencies at 100 000 devices.
 *
 *   npm run build && node dist/scripts/bench-assign.js [devices=100000] [moved=10000] [repeats=3]
 *
 * Run on demand, not in CI. BENCH_AUTOCHECKPOINT=1 runs without the WAL checkpointer. Results go to docs/benchmarks.md by hand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { buildApp } from '../cloud/app.js';
import { loadConfig } from '../cloud/config.js';
import { ensureRoot } from '../cloud/services/bootstrap.js';
import { toActor } from '../cloud/services/auth.js';
import { startCheckpointer } from '../cloud/store/checkpointer.js';
import { DB_FILE, openDb, type Db } from '../cloud/store/db.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const MOVED = Number(process.argv[3] ?? 10_000);
const REPEATS = Number(process.argv[4] ?? 3);
const READER_EVERY_MS = 2;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => x.toFixed(1);

/** The reader: a second connection timing a small query every few ms until told to stop. */
function runReader(file: string): void {
  const db = new Database(file, { readonly: true });
  db.pragma('busy_timeout = 5000');
  const q = db.prepare('SELECT id, account_id, epoch FROM devices WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT 50');
  let stop = false;
  let max = 0;
  let count = 0;
  parentPort!.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  const tick = () => {
    if (stop) {
      parentPort!.postMessage({ max, count });
      db.close();
      return;
    }
    const t0 = process.hrtime.bigint();
    q.all(randomUUID());
    max = Math.max(max, ms(t0));
    count++;
    setTimeout(tick, READER_EVERY_MS);
  };
  tick();
}

function seed(db: Db, accounts: { id: string; path: string }[], n: number): { id: string; unitId: string; accountId: string }[] {
  const dev = db.prepare(
    `INSERT INTO devices (id, unit_id, name, account_id, account_path, epoch, issued_at, secret_hash, created_at)
     VALUES (?, ?, ?, ?, ?, 1, 1, 'scrypt$256$8$1$AAAA$AAAA', 1)`,
  );
  const own = db.prepare('INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts) VALUES (?, 1, ?, ?, 1, NULL)');
  const out: { id: string; unitId: string; accountId: string }[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const a = accounts[i % accounts.length]!;
      const d = { id: randomUUID(), unitId: randomBytes(12).toString('hex'), accountId: a.id };
      dev.run(d.id, d.unitId, `vehicle ${i}`, a.id, a.path);
      own.run(d.id, a.id, a.path);
      out.push(d);
    }
  })();
  return out;
}

/** CPU time (user + system, ms) this process spent since `from` (all threads). */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** The yardstick: 10 000 rows of the same width in one plain transaction, same file, same pragmas. */
function plainInsert(db: Db, n: number): { wall: number; cpu: number } {
  db.exec('CREATE TABLE IF NOT EXISTS bench_plain (id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, name TEXT NOT NULL, account_id TEXT NOT NULL, epoch INTEGER NOT NULL)');
  const st = db.prepare('INSERT INTO bench_plain VALUES (?, ?, ?, ?, 1)');
  const rows = Array.from({ length: n }, (_, i) => [randomUUID(), randomBytes(12).toString('hex'), `row ${i}`, 'x'] as const);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  db.transaction(() => {
    for (const r of rows) st.run(...r);
  })();
  return { wall: ms(t0), cpu: cpuMs(c0) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-assign-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const db = openDb(dir);
  // As cloud/server.ts runs it: WAL checkpoints in a worker thread, not inside the committing request
  // (BENCH_AUTOCHECKPOINT=1 leaves SQLite's automatic checkpoint in the commit, for comparison).
  const checkpointer = process.env.BENCH_AUTOCHECKPOINT === '1' ? undefined : startCheckpointer(db);
  const app = await buildApp({ config, db, log: pino({ level: 'silent' }) });
  const { ctx, accounts } = app.services;
  await ensureRoot(ctx, { email: 'bench@fleet.local', password: 'bench-password' });
  const rootUser = ctx.users.byEmail('bench@fleet.local')!;
  const actor = toActor(rootUser);
  const token = app.services.auth.issue(rootUser.id, 'session', 'bench', null).token;
  const root = ctx.accounts.root()!;
  const kids = Array.from({ length: 20 }, (_, i) => accounts.create(actor, { name: `customer ${i}`, parentId: root.id }));
  const target = accounts.create(actor, { name: 'target', parentId: kids[0]!.id });
  const owners = kids.map((k) => ctx.accounts.get(k.id)!);

  let t0 = process.hrtime.bigint();
  const devices = seed(db, owners, TOTAL);
  console.log(`seeded ${TOTAL} devices in ${fmt(ms(t0))} ms`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const plain = plainInsert(db, MOVED);

  // Server-side time of each request (Fastify's elapsedTime: from receiving to the last byte sent).
  const served: number[] = [];
  app.http.addHook('onResponse', async (_req, reply) => void served.push(reply.elapsedTime));
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  // Warm up the routes, their validators and serializers, as on a registry that has been running.
  await call('GET', '/v1/devices?limit=10');
  await call('POST', '/v1/devices/assign', { accountId: kids[3]!.id, deviceIds: devices.slice(0, 1000).map((d) => d.id), dryRun: true });

  const reader = new Worker(new URL(import.meta.url), { workerData: { file: join(dir, DB_FILE) } });
  await new Promise((r) => setTimeout(r, 200));
  // Worst case for the page cache: every tenth device, so nearly every page of every table changes.
  // Each repeat moves a different tenth, back and forth between two owners, 1.5 s apart (the
  // checkpointer runs every second), and the median counts.
  const step = Math.floor(TOTAL / MOVED);
  const runs: { wall: number; server: number; cpu: number; loopMax: number }[] = [];
  let picked: typeof devices = [];
  for (let r = 0; r < REPEATS; r++) {
    picked = devices.filter((_, i) => i % step === r % step).slice(0, MOVED);
    // The registry's own event loop (other requests of this process wait behind the move).
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const moved = await call('POST', '/v1/devices/assign', { accountId: (r % 2 === 0 ? target : kids[4]!).id, unitIds: picked.map((d) => d.unitId).join('\n') });
    runs.push({ wall: ms(t0), cpu: cpuMs(c0), server: served[served.length - 1]!, loopMax: 0 });
    loop.disable();
    runs[r]!.loopMax = loop.max / 1e6;
    if (moved.status !== 200 || moved.body.items.length !== MOVED) throw new Error(`assign answered ${moved.status}`);
    await new Promise((res) => setTimeout(res, 1500));
  }
  const readerStats = await new Promise<{ max: number; count: number }>((resolve) => {
    reader.once('message', resolve);
    reader.postMessage('stop');
  });
  await reader.terminate();
  const median = (k: keyof (typeof runs)[number]) => pct(runs.map((x) => x[k]), 50);

  t0 = process.hrtime.bigint();
  const dry = await call('POST', '/v1/devices/assign', { accountId: kids[1]!.id, deviceIds: picked.map((d) => d.id), dryRun: true });
  const dryMs = ms(t0);
  if (dry.status !== 200) throw new Error(`dry run answered ${dry.status}`);

  // The common case: a batch registered together (contiguous rows) moves together.
  const batch = devices.slice(1, MOVED + 1).filter((_, i) => i % Math.floor(TOTAL / MOVED) !== 0).map((d) => d.id);
  t0 = process.hrtime.bigint();
  const block = await call('POST', '/v1/devices/assign', { accountId: kids[2]!.id, deviceIds: batch });
  const blockMs = ms(t0);
  if (block.status !== 200) throw new Error(`batch move answered ${block.status}`);

  const lat = await listLatencies(call, target.id);
  console.log(JSON.stringify({ devices: TOTAL, moved: MOVED, repeats: REPEATS, assignMs: +fmt(median('wall')), assignServerMs: +fmt(median('server')), assignCpuMs: +fmt(median('cpu')),
    assignRunsMs: runs.map((x) => +fmt(x.wall)), dryRunMs: +fmt(dryMs), batchMoved: batch.length, batchMs: +fmt(blockMs), plainInsertMs: +fmt(plain.wall), plainInsertCpuMs: +fmt(plain.cpu), ratio: +(median('wall') / plain.wall).toFixed(2),
    cpus: cpus().length, loadAverage1m: +loadavg()[0]!.toFixed(2), readerMaxMs: +fmt(readerStats.max), eventLoopMaxMs: +fmt(Math.max(...runs.map((x) => x.loopMax))), readerQueries: readerStats.count, ...lat }, null, 1));
  await app.http.close();
  await checkpointer?.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

type Call = (method: string, path: string) => Promise<{ status: number; body: any }>;

/** GET /v1/devices: a root walk of 300 pages of 100, a small subtree, and substring searches. */
async function listLatencies(call: Call, smallAccountId: string) {
  const timed = async (path: string) => {
    const t0 = process.hrtime.bigint();
    const r = await call('GET', path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    return { ms: ms(t0), next: r.body.nextCursor as string | null };
  };
  const walk: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 300; i++) {
    const r = await timed(`/v1/devices?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    walk.push(r.ms);
    cursor = r.next;
  }
  const full: number[] = [];
  for (let i = 0; i < 50; i++) full.push((await timed('/v1/devices?limit=500')).ms);
  const small: number[] = [];
  for (let i = 0; i < 100; i++) small.push((await timed(`/v1/devices?accountId=${smallAccountId}&limit=100`)).ms);
  const search: number[] = [];
  for (let i = 0; i < 50; i++) search.push((await timed(`/v1/devices?q=${randomBytes(2).toString('hex')}&limit=100`)).ms);
  const stats = (xs: number[]) => ({ p50: +fmt(pct(xs, 50)), p99: +fmt(pct(xs, 99)), max: +fmt(Math.max(...xs)) });
  return { listRootPage100: stats(walk), listRootPage500: stats(full), listSubtree10k: stats(small), listSearch: stats(search) };
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  runReader((workerData as { file: string }).file);
}
