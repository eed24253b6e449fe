/**
 * Telemetry acks wait for the disk: ingest commits a group at synchronous=NORMAL and releases the
 * acks only once the WAL is synced (cloud/mqtt/wal-sync.ts); a failed sync sends no telemetry/ack,
 * and the connection goes back to synchronous=FULL for every other write.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingest, type BatchOutcome, type CommitSync } from '../../cloud/mqtt/ingest.js';
import { WalSync } from '../../cloud/mqtt/wal-sync.js';
import { TelemetryStore } from '../../cloud/store/telemetry-store.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

/** A sync the test releases by hand. */
class HeldSync implements CommitSync {
  held: ((ok: boolean) => void)[] = [];
  after(then: (ok: boolean) => void): void {
    this.held.push(then);
  }
  release(ok: boolean): void {
    for (const then of this.held.splice(0)) then(ok);
  }
  async stop(): Promise<void> {}
}

describe('telemetry commits are synced before they are acknowledged', () => {
  let reg: TestRegistry | undefined;
  afterEach(async () => reg?.close());

  async function setup(sync?: CommitSync) {
    reg = await startRegistry();
    const dev = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId: '5eed00005eed0001' } });
    const ctx = reg.services.ctx;
    const ingest = new Ingest({
      db: reg.db, telemetry: new TelemetryStore(reg.db), links: ctx.links, metrics: reg.app.metrics, log: pino({ level: 'silent' }), now: ctx.now,
      ...(sync ? { sync } : {}),
    });
    const device = { id: dev.body.id as string, unitId: '5eed00005eed0001' };
    const outcomes: (BatchOutcome | undefined)[] = [];
    const send = (seqs: number[]) => {
      const records = seqs.map((seq) => ({ seq, epoch: 1, ts: 1_000 + seq, kind: 'obd', data: { seq } }));
      ingest.submit(device, Buffer.from(JSON.stringify({ stream: 'stream-sync-1', records })), (o) => outcomes.push(o));
      ingest.flush();
    };
    const stored = () => reg!.db.prepare('SELECT seq FROM telemetry ORDER BY seq').pluck().all();
    return { ingest, send, outcomes, stored };
  }

  it('holds the ack until the sync completes, and restores synchronous=FULL', async () => {
    const sync = new HeldSync();
    const { send, outcomes, stored } = await setup(sync);
    send([1, 2]);
    expect(stored()).toEqual([1, 2]); // committed ...
    expect(outcomes).toEqual([]); // ... but not acknowledged before the sync
    expect(reg!.db.pragma('synchronous', { simple: true })).toBe(2);
    send([3]);
    sync.release(true);
    expect(outcomes.map((o) => o?.ack.upTo)).toEqual([2, 3]);
    expect(outcomes[0]!.byOwner.size).toBe(1);
  });

  it('answers no telemetry/ack when the sync fails; the resend is acknowledged', async () => {
    const sync = new HeldSync();
    const { send, outcomes, stored } = await setup(sync);
    send([1, 2]);
    sync.release(false);
    expect(outcomes).toEqual([undefined]); // PUBACK only: the agent keeps the records and resends
    send([1, 2]);
    sync.release(true);
    expect(outcomes[1]!.ack).toEqual({ stream: 'stream-sync-1', upTo: 2, rejected: [] });
    expect(stored()).toEqual([1, 2]);
  });

  it('syncs the real WAL file and stops only when every ack is out', async () => {
    const { ingest, send, outcomes } = await setup();
    send([1]);
    send([2, 3]);
    expect(outcomes).toEqual([]); // the sync runs on the threadpool
    await ingest.stop();
    expect(outcomes.map((o) => o?.ack.upTo)).toEqual([1, 3]);
  });

  it('reports a WAL it cannot open as a failed sync', async () => {
    const errors: unknown[] = [];
    const sync = new WalSync('/nonexistent/registry.db-wal', (e) => errors.push(e));
    const ok = await new Promise<boolean>((resolve) => sync.after(resolve));
    await sync.stop();
    expect(ok).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
