/**
 * The pure half of the framing guard: an incremental scanner of MQTT 3.1.1 fixed headers. Bytes in,
 * verdicts out, no I/O (like serialport's parser-delimiter), so tests feed it chunks split at every
 * boundary. cloud/mqtt/framing-guard.ts wraps it in a Duplex in front of aedes.
 */

/** Why a connection was refused; a closed set, safe to use as a metric label. */
export type RejectReason =
  | 'first-not-connect' // [MQTT-3.1.0-1]
  | 'second-connect' // [MQTT-3.1.0-2]
  | 'reserved-type' // types 0 and 15 are reserved in MQTT 3.1.1 (2.2.1)
  | 'malformed-length' // more than 4 Remaining Length bytes [MQTT-2.2.3]
  | 'packet-too-large'
  | 'connect-timeout'
  | 'empty-client-id'; // [MQTT-3.1.3-8]: answered with CONNACK return code 2

/** Bytes of CONNECT's variable header needed to read the client id length (3.1.2), for "MQIsdp". */
const CONNECT_PEEK_BYTES = 2 + 6 + 1 + 1 + 2 + 2;

/** What one chunk did: bytes to pass on now, or why to close. */
export interface ScanResult {
  forward: Buffer | null;
  reject: RejectReason | null;
  /** True when this chunk completed the first CONNECT. */
  connectComplete: boolean;
}

/**
 * Pure incremental scanner of MQTT 3.1.1 framing: bytes in, verdicts out, no I/O. Holds back at
 * most the fixed header and {@link CONNECT_PEEK_BYTES} of the first packet, until it can tell
 * whether the CONNECT carries an empty client id without a clean session.
 */
export class FrameScanner {
  #phase: 'type' | 'length' | 'body' = 'type';
  #packets = 0;
  #length = 0;
  #lengthBytes = 0;
  #bodyLeft = 0;
  #deciding = true;
  #peek: number[] = [];
  #held: Buffer[] = [];
  #connectComplete = false;

  constructor(private readonly maxPacketBytes: number) {}

  feed(chunk: Buffer): ScanResult {
    this.#connectComplete = false;
    let i = 0;
    while (i < chunk.length) {
      const step = this.#phase === 'body' ? this.#onBody(chunk, i) : this.#onHeaderByte(chunk[i]!);
      if (typeof step === 'string') return { forward: null, reject: step, connectComplete: false };
      i += step;
    }
    const connectComplete = this.#connectComplete;
    if (this.#deciding) {
      this.#held.push(chunk);
      return { forward: null, reject: null, connectComplete };
    }
    const forward = this.#held.length === 0 ? chunk : Buffer.concat([...this.#held, chunk]);
    this.#held = [];
    return { forward, reject: null, connectComplete };
  }

  /** One byte of a fixed header: the type nibble, then the Remaining Length varint [MQTT-2.2.3]. */
  #onHeaderByte(byte: number): RejectReason | number {
    if (this.#phase === 'type') {
      const type = byte >> 4;
      if (this.#packets === 0 && type !== 1) return 'first-not-connect';
      if (this.#packets > 0 && type === 1) return 'second-connect';
      if (type === 0 || type === 15) return 'reserved-type';
      this.#packets++;
      this.#phase = 'length';
      this.#length = 0;
      this.#lengthBytes = 0;
      return 1;
    }
    this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes;
    this.#lengthBytes++;
    if (byte & 0x80) return this.#lengthBytes === 4 ? 'malformed-length' : 1;
    if (this.#length > this.maxPacketBytes) return 'packet-too-large';
    this.#bodyLeft = this.#length;
    this.#phase = 'body';
    if (this.#bodyLeft === 0) this.#endPacket();
    return 1;
  }

  /** Skips body bytes without keeping them, except CONNECT's first few while deciding. */
  #onBody(chunk: Buffer, at: number): RejectReason | number {
    const n = Math.min(this.#bodyLeft, chunk.length - at);
    if (this.#deciding) {
      const take = Math.min(n, CONNECT_PEEK_BYTES - this.#peek.length);
      for (let k = 0; k < take; k++) this.#peek.push(chunk[at + k]!);
      const verdict = peekConnect(this.#peek);
      if (verdict === 'refuse') return 'empty-client-id';
      if (verdict === 'pass') this.#deciding = false;
    }
    this.#bodyLeft -= n;
    if (this.#bodyLeft === 0) this.#endPacket();
    return n;
  }

  #endPacket(): void {
    this.#phase = 'type';
    if (this.#packets === 1) {
      // A CONNECT too short to judge is aedes' to refuse (mqtt-packet: "Packet too short").
      this.#deciding = false;
      this.#connectComplete = true;
    }
  }
}

/**
 * Judges the start of a CONNECT variable header (3.1.2): protocol name, level, flags, keep alive,
 * then the client id's length (3.1.3). Anything but MQTT 3.1/3.1.1 is left to aedes to answer.
 */
function peekConnect(b: number[]): 'need-more' | 'pass' | 'refuse' {
  if (b.length < 2) return 'need-more';
  const nameLength = (b[0]! << 8) | b[1]!;
  if (nameLength !== 4 && nameLength !== 6) return 'pass';
  if (b.length < nameLength + 8) return 'need-more';
  const level = b[nameLength + 2]! & 0x7f; // high bit: bridge mode
  if (level !== 3 && level !== 4) return 'pass';
  const cleanSession = (b[nameLength + 3]! & 0x02) !== 0;
  const clientIdLength = (b[nameLength + 6]! << 8) | b[nameLength + 7]!;
  return !cleanSession && clientIdLength === 0 ? 'refuse' : 'pass';
}
