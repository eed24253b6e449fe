/**
 * bench-ingest-inproc: the ingest alone, in process, without MQTT: N devices' batches are handed to
 * `Ingest.submit` in rounds of `group` batches (one group commit each, synchronous=FULL), and each
 * outcome is serialized as the broker would (telemetry/ack and live fan-out JSON). Less noisy than
 * bench-ingest, so it measures changes to validation, attribution and storage.
 *
 *   npm run build && node dist/scripts/bench-ingest-inproc.js [devices=20] [seconds=3] [group=128] [perMsg=1]
 */
import { Ingest, type BatchOutcome } from '../cloud/mqtt/ingest.js';
import { liveJson } from '../cloud/mqtt/live-json.js';
import { TelemetryStore } from '../cloud/store/telemetry-store.js';
import { startBenchFleet } from './bench-fleet.js';

const [devices = 20, seconds = 3, group = 128, perMsg = 1] = process.argv.slice(2).map(Number);

async function main() {
  const fleet = await startBenchFleet(devices, 'inproc');
  const { app, db, log } = fleet;
  const devs = fleet.devices.map((d) => ({ ...d, next: 1 }));
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
    for (const [, records] of o.byOwner) bytes += liveJson(o.device, records).length;
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
  await fleet.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
