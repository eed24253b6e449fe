/**
 * The uplink's MQTT client keeps its packet writer flat for months (agent/uplink/mqtt-packet-memory.ts):
 * no 65 536 cached number buffers, and the Remaining Length of a batch of a size never sent
 * before reuses a buffer made at start instead of pinning one more 8 KiB slab of Node's Buffer
 * pool. Runs in its own process (vitest isolates test files), so mqtt-packet starts untouched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteQueue } from '../../agent/queue/sqlite-queue.js';
import { OwnershipStore } from '../../agent/state/ownership-state.js';
import { settleMqttPacketMemory } from '../../agent/uplink/mqtt-packet-memory.js';
import { Uplink } from '../../agent/uplink/uplink.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const UNIT = 'b827eb0a1b2c3d4f';
const SECRET = 'device-secret-0123456789';

// The mqtt-packet instance mqtt.js uses.
const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const numbers = fromMqtt('mqtt-packet/numbers') as { cache: Record<number, Buffer> };
const { writeToStream } = fromMqtt('mqtt-packet') as { writeToStream: (packet: object, stream: object) => boolean };

/** The Remaining Length chunk mqtt-packet writes for a QoS 0 PUBLISH of `payloadBytes` to topic `t`. */
function remainingLengthChunk(payloadBytes: number): Buffer {
  const chunks: Buffer[] = [];
  const stream = { write: (c: Buffer) => chunks.push(c) > 0, destroy: (e: Error) => { throw e; } };
  writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.alloc(payloadBytes), qos: 0, retain: false, dup: false }, stream);
  return chunks[1]!; // [fixed header byte, Remaining Length, topic length, topic, payload]
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('MQTT packet writer memory', () => {
  it('an uplink that has connected built no number cache, and new batch sizes pin no new buffer pool slabs', async () => {
    const reg = await new FakeRegistry().start();
    reg.devices.set(UNIT, SECRET);
    cleanups.push(() => reg.close());
    const dir = mkdtempSync(join(tmpdir(), 'agent-mqtt-memory-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const queue = new SqliteQueue({ path: join(dir, 'queue.db'), limits: { maxBytes: 1e8, maxRecords: 1e6, policy: 'drop-oldest' } });
    queue.open();
    cleanups.push(() => queue.close());
    const ownership = new OwnershipStore(dir);
    ownership.load();
    const uplink = new Uplink({ url: reg.url, unitId: UNIT, secret: SECRET, agentVersion: 't', queue, ownership, log: pino({ level: 'silent' }) });
    uplink.start();
    cleanups.push(() => uplink.stop());
    await until(() => reg.hellos.length === 1, 5_000, 'hello');

    expect(Object.keys(numbers.cache)).toHaveLength(0);

    // 1 000 sizes in random order, with the agent's other small buffers (JSON payloads, serial
    // chunks) made between them, as in a long drive: every Remaining Length buffer must come
    // from the few slabs filled at start (16 384 lengths x 16 B = 32 slabs of 8 KiB).
    const slabs = new Set<ArrayBufferLike>();
    for (let i = 0; i < 1000; i++) {
      const len = 3 + Math.floor(Math.random() * 16_000);
      slabs.add(remainingLengthChunk(len).buffer);
      Buffer.from('x'.repeat(3000)); // pooled: a new slab every third buffer
    }
    expect(slabs.size).toBeLessThanOrEqual(32);
    // And a length written again is the very same buffer (cached, nothing new kept).
    expect(remainingLengthChunk(777)).toBe(remainingLengthChunk(777));
  });

  it('is idempotent', () => {
    const before = remainingLengthChunk(1234);
    settleMqttPacketMemory();
    settleMqttPacketMemory();
    expect(remainingLengthChunk(1234)).toBe(before);
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });
});
