/**
 * bench-ingest-inproc: the ingest alone, in process, without MQTT: N devices' batches are handed to
 * `Ingest.submit` in rounds of `group` batches (one group commit each, synchronous=FULL), and each
 * outcome is serialized as the broker would (telemetry/ack and live fan-out JSON). Less noisy than
 * bench-ingest, so it measures changes to validation, attribution and storage.
 *
 *   npm run build && node dist/scripts/bench-ingest-inproc.js [devices=20] [seconds=3] [group=128] [perMsg=1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../cloud/app.js';
import { loadConfig } from '../cloud/config.js';
import { Ingest, type BatchOutcome } from '../cloud/mqtt/ingest.js';
import { ensureRoot } from '../cloud/services/bootstrap.js';
import { startCheckpointer } from '../cloud/store/checkpointer.js';
import { openDb } from '../cloud/store/db.js';
import { TelemetryStore } from '../cloud/store/telemetry-store.js';

const [devices = 20, seconds = 3, group = 128, perMsg = 1] = process.argv.slice(2).map(Number);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-inproc-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', MQTT_PORT: '0', HOST: '127.0.0.1' });
  const db = openDb(dir);
  // WAL checkpoints off the event loop, as `npm start` runs them (cloud/server.ts).
  const checkpointer = process.env.BENCH_CHECKPOINTER === '0' ? undefined : startCheckpointer(db);
  const log = pino({ level: 'silent' });
  const app = await buildApp({ config, db, log });
  await ensureRoot(app.services.ctx, { email: 'bench@x.test', password: 'bench-password' });
  const call = async (method: 'POST' | 'GET', url: string, token: string, payload?: object) =>
    (await app.http.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })).json();
  const root = (await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'bench@x.test', password: 'bench-password' } })).json().token as string;
  const me = await call('GET', '/v1/me', root);
  const l1 = await call('POST', '/v1/accounts', root, { name: 'L1', parentId: me.account.id });
  const l2 = await call('POST', '/v1/accounts', root, { name: 'L2', parentId: l1.id });
  const devs: { id: string; unitId: string; epoch: number; next: number }[] = [];
  for (let i = 0; i < devices; i++) {
    const unitId = `b0${String(i).padStart(14, '0')}`;
    const reg = await call('POST', '/v1/devices', root, { unitId, accountId: l2.id });
    devs.push({ id: reg.id, unitId, epoch: reg.epoch, next: 1 });
  }
  const ctx = app.services.ctx;
  // INGEST_SYNC=blocking: commit at synchronous=FULL on the event loop (the old way), to compare;
  // INGEST_SYNC=none: no sync at all (not durable), to see the CPU cost of a commit alone.
  const none = { after: (then: (ok: boolean) => void) => then(true), stop: async () => undefined };
  const mode = process.env.INGEST_SYNC;
  const sync = mode === 'blocking' ? { sync: false as const } : mode === 'none' ? { sync: none } : {};
  const ingest = new Ingest({ db: ctx.db, telemetry: new TelemetryStore(ctx.db), links: ctx.links, metrics: app.metrics, log, now: ctx.now, ...sync });
  let bytes = 0;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  const deliver = (o: BatchOutcome | undefined) => {
    if (!o) throw new Error('unreadable');
    if (--outstanding <= group && wake) (wake(), (wake = undefined));
    bytes += Buffer.from(JSON.stringify(o.ack)).length;
    for (const [, records] of o.byOwner) bytes += Buffer.from(JSON.stringify({ unitId: o.device.unitId, deviceId: o.device.id, records })).length;
  };
  const payload = (d: (typeof devs)[number]) => {
    const from = d.next;
    d.next += perMsg;
    const records = Array.from({ length: perMsg }, (_, i) => ({ seq: from + i, epoch: d.epoch, ts: Date.now(), kind: 'obd', data: { rpm: 1500 + i, speedKmh: 50 } }));
    return Buffer.from(JSON.stringify({ stream: `bench-${d.unitId}`, records }));
  };
  let batches = 0;
  let commits = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < group; i++) ingest.submit(devs[i % devs.length]!, payload(devs[i % devs.length]!), deliver);
    outstanding += group;
    ingest.flush();
    // At most two groups unacknowledged, as devices with a bounded window would keep.
    if (outstanding > group) await new Promise<void>((resolve) => (wake = resolve));
    batches += group;
    commits++;
  }
  await ingest.stop();
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rows = db.prepare('SELECT count(*) FROM telemetry').pluck().get() as number;
  console.log(
    `inproc: ${devices} devices, group ${group}, ${perMsg} rec/msg: ${Math.round(batches / secs)} batches/s, ${Math.round((batches * perMsg) / secs)} records/s, ` +
      `CPU ${((cpu.user + cpu.system) / batches).toFixed(1)} us/batch, ${((secs * 1000) / commits).toFixed(2)} ms/commit, rows ${rows}, out ${(bytes / 1e6).toFixed(1)} MB`,
  );
  await app.http.close();
  await checkpointer?.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
