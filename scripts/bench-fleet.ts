/**
 * The fleet both ingest benchmarks start from: a registry in a temp dir (with the WAL checkpointer,
 * as `npm start` runs it, unless BENCH_CHECKPOINTER=0), a root admin, a three-level tree
 * (root → L1 → L2) and `devices` devices registered in L2 through the REST API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { buildApp, type App } from '../cloud/app.js';
import { loadConfig, type Config } from '../cloud/config.js';
import { ensureRoot } from '../cloud/services/bootstrap.js';
import { startCheckpointer } from '../cloud/store/checkpointer.js';
import { openDb, type Db } from '../cloud/store/db.js';

export interface BenchDevice {
  id: string;
  unitId: string;
  secret: string;
  epoch: number;
}

export interface BenchFleet {
  app: App;
  config: Config;
  db: Db;
  log: Logger;
  /** A root admin's session token. */
  root: string;
  /** Account ids from the root down: [root, L1, L2]. */
  levels: [string, string, string];
  devices: BenchDevice[];
  close(): Promise<void>;
}

export async function startBenchFleet(devices: number, tag: string): Promise<BenchFleet> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${tag}-`));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', MQTT_PORT: '0', HOST: '127.0.0.1' });
  const db = openDb(dir);
  const checkpointer = process.env.BENCH_CHECKPOINTER === '0' ? undefined : startCheckpointer(db);
  const log: Logger = pino({ level: 'silent' });
  const app = await buildApp({ config, db, log });
  await ensureRoot(app.services.ctx, { email: 'bench@x.test', password: 'bench-password' });
  const call = async (method: 'POST' | 'GET', url: string, token: string, payload?: object) =>
    (await app.http.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })).json();
  const root = (await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'bench@x.test', password: 'bench-password' } })).json().token as string;
  const me = await call('GET', '/v1/me', root);
  const l1 = await call('POST', '/v1/accounts', root, { name: 'L1', parentId: me.account.id });
  const l2 = await call('POST', '/v1/accounts', root, { name: 'L2', parentId: l1.id });
  const devs: BenchDevice[] = [];
  for (let i = 0; i < devices; i++) {
    const unitId = `b0${String(i).padStart(14, '0')}`;
    const reg = await call('POST', '/v1/devices', root, { unitId, accountId: l2.id });
    devs.push({ id: reg.id, unitId, secret: reg.secret, epoch: reg.epoch });
  }
  return {
    app, config, db, log, root, devices: devs,
    levels: [me.account.id, l1.id, l2.id],
    async close() {
      await app.http.close();
      await checkpointer?.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
