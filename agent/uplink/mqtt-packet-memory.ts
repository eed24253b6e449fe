/**
 * Keeps mqtt.js's packet writer (mqtt-packet 9) small and flat in a process that runs for months.
 *
 * mqtt-packet caches, per process, buffers it writes on every packet:
 * - `numbers.cache`: every two-byte number 0..65535 as its own Buffer, made on the first packet
 *   (about 6 MB of heap in the agent). Turned off with `writeToStream.cacheNumbers = false`
 *   (mqtt.js's `writeCache: false` does the same); a two-byte number is then made per write, which
 *   costs nothing at the agent's few packets a second.
 * - `varByteIntCache`: the encoded Remaining Length (MQTT 3.1.1 section 2.2.3) of every packet
 *   length under 16 384 it has written, kept forever and not switchable. Each entry is a 4-byte
 *   view into Node's shared 8 KiB Buffer pool, so it keeps a whole 8 KiB slab alive: a telemetry
 *   batch of a length not seen before pins 8 KiB more (measured: +1.2 MB of `external` over an
 *   hour-equivalent of simulated driving, and up to 16 384 x 8 KiB = 128 MiB over months of
 *   varying batch sizes). Writing one packet of every length at start fills it once, its entries
 *   side by side in a few slabs (about 1.6 MB of heap and 256 KiB of buffers, then constant).
 */
import { createRequire } from 'node:module';

/** The part of mqtt-packet's `writeToStream` used here. */
interface WriteToStream {
  (packet: object, stream: { write(chunk: unknown): boolean; destroy(err: Error): void }, opts?: object): boolean;
  cacheNumbers: boolean;
}

/** mqtt-packet's cache covers Remaining Lengths below this (writeToStream.js, `num < 16384`). */
const VAR_BYTE_INT_CACHED = 16_384;

let done = false;

/**
 * Turns off the number cache and fills the Remaining Length cache, once per process, before the
 * first MQTT client writes. Idempotent; about 20 ms of CPU the first time.
 */
export function settleMqttPacketMemory(): void {
  if (done) return;
  done = true;
  // The mqtt-packet instance mqtt.js itself loads (resolved from mqtt's own location).
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const writeToStream = (fromMqtt('mqtt-packet') as { writeToStream: WriteToStream }).writeToStream;
  writeToStream.cacheNumbers = false;
  const sink = { write: () => true, destroy: (err: Error) => { throw err; } };
  const payload = Buffer.alloc(VAR_BYTE_INT_CACHED);
  // A QoS 0 PUBLISH to topic "t" has Remaining Length 2 + 1 + payload length.
  writeToStream({ cmd: 'pingreq' }, sink); // 0
  writeToStream({ cmd: 'puback', messageId: 1 }, sink); // 2
  for (let len = 3; len < VAR_BYTE_INT_CACHED; len++) {
    writeToStream({ cmd: 'publish', topic: 't', payload: payload.subarray(0, len - 3), qos: 0, retain: false, dup: false }, sink);
  }
}
