import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Ownership } from '../../protocol/messages.js';
import { SqliteQueue } from '../../agent/queue/sqlite-queue.js';
import { compareOwnership, OwnershipStore, OWNERSHIP_FILE } from '../../agent/state/ownership-state.js';
import { Uplink } from '../../agent/uplink/uplink.js';
import { deviceTopic } from '../../protocol/topics.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const UNIT = 'b827eb0a1b2c3d4e';
const SECRET = 'device-secret-0123456789';
const T0 = Date.UTC(2026, 10, 26, 1, 0, 0);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function registry(): Promise<FakeRegistry> {
  const r = await new FakeRegistry().start();
  r.devices.set(UNIT, SECRET);
  cleanups.push(() => r.close());
  return r;
}

function agent(url: string, opts: { dir?: string; maxRecords?: number; secret?: string; ackTimeoutMs?: number } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'agent-uplink-'));
  if (!opts.dir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const queue = new SqliteQueue({ path: join(dir, 'queue.db'), limits: { maxBytes: 1e8, maxRecords: opts.maxRecords ?? 1e6, policy: 'drop-oldest' } });
  queue.open();
  const ownership = new OwnershipStore(dir);
  ownership.load();
  const applied: Ownership[] = [];
  const uplink = new Uplink({
    url,
    unitId: UNIT,
    secret: opts.secret ?? SECRET,
    agentVersion: '0.1.0-test',
    queue,
    ownership,
    log,
    onOwnership: (o) => applied.push(o),
    backoff: { minMs: 20, maxMs: 150 },
    ackTimeoutMs: opts.ackTimeoutMs ?? 2_000,
  });
  const stop = async () => {
    await uplink.stop();
    queue.close();
  };
  cleanups.push(stop);
  return { dir, queue, ownership, uplink, applied, lines, stop };
}

const own = (epoch: number, issuedAt: number, accountId = `acc-${epoch % 2}`): Ownership => ({
  accountId,
  epoch,
  issuedAt,
  settings: { ...DEFAULT_SETTINGS, obdPids: [...DEFAULT_SETTINGS.obdPids], telemetryIntervalMs: 1000 + epoch },
});

describe('uplink against a fake registry', () => {
  it('10 minutes of 1 Hz readings queued while the broker is down all arrive, in order, once it is back', async () => {
    const reg = await registry();
    await reg.goDown();
    const a = agent(reg.url);
    a.uplink.start();
    // Ten minutes of 1 Hz readings, on a fast-forwarded clock: ts advances 1 s per reading.
    for (let i = 0; i < 600; i++) {
      a.queue.append({ kind: 'obd', data: { rpm: 900 + i }, ts: T0 + i * 1000, epoch: 0 });
      a.uplink.kick();
    }
    expect(a.uplink.connected).toBe(false);
    expect(a.queue.health()).toEqual({ depth: 600, oldestTs: T0, dropped: 0 });
    await reg.comeBack();
    await until(() => reg.records(a.queue.stream).length === 600, 10_000, 'all records');
    const got = reg.records(a.queue.stream);
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(got.map((r) => r.ts)).toEqual(Array.from({ length: 600 }, (_, i) => T0 + i * 1000));
    await until(() => a.queue.health().depth === 0, 5_000, 'queue emptied by acks');
    expect(await a.uplink.drain(1_000)).toBe(true);
    expect(reg.hellos.at(-1)).toMatchObject({ unitId: UNIT, agentVersion: '0.1.0-test', epoch: 0, issuedAt: 0, queue: { depth: 600, oldestTs: T0, dropped: 0 } });
  });

  it('says hello on every connect and replays unacknowledged records after a reconnect', async () => {
    const reg = await registry();
    const a = agent(reg.url);
    a.uplink.start();
    await until(() => reg.hellos.length === 1, 5_000, 'first hello');
    reg.acking = false; // the registry stores, but its acks are lost
    for (let i = 0; i < 5; i++) a.queue.append({ kind: 'gnss', data: { lat: 60 + i }, ts: T0 + i, epoch: 0 });
    a.uplink.kick();
    await until(() => reg.records(a.queue.stream).length === 5, 5_000, 'records stored');
    expect(a.queue.health().depth).toBe(5); // not deleted without the registry's ack
    reg.acking = true;
    await reg.goDown();
    await reg.comeBack();
    await until(() => a.queue.health().depth === 0, 5_000, 'replayed and acked');
    expect(reg.hellos.length).toBeGreaterThanOrEqual(2);
    expect(reg.records(a.queue.stream).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]); // stored once
    expect(reg.batchesReceived).toBeGreaterThanOrEqual(2);
  });

  it('sends a batch again when its ack does not come, without a reconnect', async () => {
    const reg = await registry();
    const a = agent(reg.url, { ackTimeoutMs: 100 });
    a.uplink.start();
    await until(() => reg.hellos.length === 1, 5_000, 'connected');
    reg.acking = false;
    a.queue.append({ kind: 'obd', data: { rpm: 1 }, ts: T0, epoch: 0 });
    a.uplink.kick();
    await until(() => reg.batchesReceived >= 3, 5_000, 'resent batches');
    expect(a.queue.health().depth).toBe(1);
    reg.acking = true;
    await until(() => a.queue.health().depth === 0, 5_000, 'acked at last');
    expect(reg.hellos).toHaveLength(1); // the same connection throughout
    expect(reg.records(a.queue.stream).map((r) => r.seq)).toEqual([1]);
  });

  it('100 rapid ownership flips end on the last one, with no stale re-apply, persisted before each ack', { timeout: 40_000 }, async () => {
    const reg = await registry();
    const a = agent(reg.url);
    // 100 durable saves take 200 fsyncs: seconds on a slow or busy disk.
    const ackedBeforePersisted: string[] = [];
    reg.onOwnershipAck = (_unit, ack) => {
      const onDisk = JSON.parse(readFileSync(join(a.dir, OWNERSHIP_FILE), 'utf8')) as Ownership;
      // The acked one, or (for a re-ack of an older message) something newer, must already be on disk.
      if (onDisk.epoch < ack.epoch || (onDisk.epoch === ack.epoch && onDisk.issuedAt < ack.issuedAt)) {
        ackedBeforePersisted.push(`${ack.epoch}/${ack.issuedAt} vs ${onDisk.epoch}/${onDisk.issuedAt}`);
      }
    };
    a.uplink.start();
    // Once subscribed, every flip is delivered (before that only the last retained one would be).
    await until(() => reg.subscribed.has(deviceTopic(UNIT, 'ownership')), 5_000, 'subscribed');
    const sent: Ownership[] = [];
    for (let i = 1; i <= 100; i++) {
      // Every fourth flip is a settings change: same epoch, newer issuedAt.
      const o = i % 4 === 0 ? own(sent.at(-1)!.epoch, T0 + i) : own((sent.at(-1)?.epoch ?? 0) + 1, T0 + i);
      sent.push(o);
      await reg.publishOwnership(UNIT, o);
    }
    await reg.publishOwnership(UNIT, own(3, T0 + 3), false); // a stale one, late
    const last = sent.at(-1)!;
    await until(() => reg.ownershipAcks.some((k) => k.epoch === last.epoch && k.issuedAt === last.issuedAt), 25_000, 'last ack');
    await until(() => reg.ownershipAcks.length >= 100, 5_000, `all acks (got ${reg.ownershipAcks.length}, applied ${a.applied.length})`);
    expect(a.ownership.current()).toEqual(last);
    expect(new OwnershipStore(a.dir).load()).toEqual(last);
    expect(ackedBeforePersisted).toEqual([]);
    // Applied in order, each strictly newer than the one before; the stale epoch 3 never re-applied.
    for (let i = 1; i < a.applied.length; i++) expect(compareOwnership(a.applied[i]!, a.applied[i - 1])).toBe('newer');
    expect(a.applied).toHaveLength(100);
    expect(a.applied.at(-1)).toEqual(last);
    expect(reg.ownershipAcks.filter((k) => k.epoch === 3 && k.issuedAt === T0 + 3)).toHaveLength(1);
  });

  it('acknowledges again an ownership it already holds (the retained message after a restart) without re-applying', async () => {
    const reg = await registry();
    const first = agent(reg.url);
    first.uplink.start();
    await reg.publishOwnership(UNIT, own(7, T0));
    await until(() => reg.ownershipAcks.length === 1, 5_000, 'ack');
    await first.stop();
    const again = agent(reg.url, { dir: first.dir });
    expect(again.ownership.current()).toEqual(own(7, T0));
    again.uplink.start();
    await until(() => reg.ownershipAcks.length === 2, 5_000, 'second ack');
    expect(reg.ownershipAcks.map((k) => k.epoch)).toEqual([7, 7]);
    expect(again.applied).toEqual([]);
    expect(reg.hellos.at(-1)).toMatchObject({ epoch: 7, issuedAt: T0 });
  });

  it('a refused login (return code 4) keeps the queue, backs off, and says so in one line', async () => {
    const reg = await registry();
    reg.devices.set(UNIT, 'rotated-secret');
    const a = agent(reg.url);
    for (let i = 0; i < 3; i++) a.queue.append({ kind: 'status', data: { i }, ts: T0 + i, epoch: 0 });
    a.uplink.start();
    await until(() => reg.loginAttempts >= 4, 10_000, 'several attempts');
    const said = a.lines.filter((l) => String(l.msg).startsWith('credentials revoked or wrong'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 50, returnCode: 4 });
    expect(JSON.stringify(a.lines)).not.toContain(SECRET);
    expect(a.queue.health().depth).toBe(3);
    reg.devices.set(UNIT, SECRET); // the operator fixes the secret
    await until(() => a.queue.health().depth === 0, 10_000, 'flushed after login accepted');
    expect(reg.records(a.queue.stream).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('a device revoked while connected keeps its queue', async () => {
    const reg = await registry();
    const a = agent(reg.url);
    a.uplink.start();
    await until(() => a.uplink.connected, 5_000, 'connected');
    const attempts = reg.loginAttempts;
    reg.revoke(UNIT);
    await until(() => reg.loginAttempts >= attempts + 2, 10_000, 'refused again');
    a.queue.append({ kind: 'status', data: {}, ts: T0, epoch: 0 });
    a.uplink.kick();
    expect(a.uplink.connected).toBe(false);
    expect(a.queue.health().depth).toBe(1);
    expect(a.lines.filter((l) => String(l.msg).startsWith('credentials revoked'))).toHaveLength(1);
  });

  it('declares records discarded by a full queue, and the registry refuses them', async () => {
    const reg = await registry();
    await reg.goDown();
    const a = agent(reg.url, { maxRecords: 5 });
    a.uplink.start();
    for (let i = 0; i < 12; i++) a.queue.append({ kind: 'obd', data: { i }, ts: T0 + i, epoch: 0 });
    await reg.comeBack();
    await until(() => a.queue.health().depth === 0, 10_000, 'flushed');
    expect(reg.records(a.queue.stream).map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    expect([...reg.streams.get(a.queue.stream)!.refused]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(a.queue.droppedRanges()).toEqual([]);
    expect(reg.hellos.at(-1)!.queue).toMatchObject({ dropped: 7 });
  });
});
