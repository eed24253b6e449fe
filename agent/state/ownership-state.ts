/**
 * The ownership the agent holds: `{accountId, epoch, issuedAt, settings}` as last received on
 * `v1/devices/{unitId}/ownership`, persisted atomically (temp, fsync, rename, fsync dir) BEFORE it
 * is acknowledged, so an acknowledged epoch is never lost to a power cut.
 *
 * Also creates the random telemetry `stream` id (contract: "created with the state directory").
 * The queue keeps the stream next to its seq counter (agent/queue), so a wiped queue can never
 * reuse an old stream with restarted seqs.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { OwnershipSchema, StreamSchema, type Ownership } from '../../protocol/messages.js';
import { atomicWriteFile, nodeFs, type FsLayer } from './atomic-write.js';

/** File name of the ownership state inside the state directory. */
export const OWNERSHIP_FILE = 'ownership.json';

/** How an incoming ownership message relates to the one held (contract, MQTT `ownership`). */
export type OwnershipVerdict = 'newer' | 'same' | 'older';

/** Newer epoch, or equal epoch with newer issuedAt (a settings change), is applied. */
export function compareOwnership(incoming: Pick<Ownership, 'epoch' | 'issuedAt'>, held: Pick<Ownership, 'epoch' | 'issuedAt'> | undefined): OwnershipVerdict {
  if (!held) return 'newer';
  if (incoming.epoch !== held.epoch) return incoming.epoch > held.epoch ? 'newer' : 'older';
  if (incoming.issuedAt !== held.issuedAt) return incoming.issuedAt > held.issuedAt ? 'newer' : 'older';
  return 'same';
}

/** A fresh random stream id: 16 random bytes, base64url (22 characters, matches StreamSchema). */
export function createStreamId(): string {
  return StreamSchema.parse(randomBytes(16).toString('base64url'));
}

/** Reads and writes the ownership file of one state directory. */
export class OwnershipStore {
  private held: Ownership | undefined;

  /**
   * @param dir the state directory (AGENT_STATE_DIR)
   * @param layer file operations; default the real file system
   */
  constructor(
    private readonly dir: string,
    private readonly layer: FsLayer = nodeFs,
  ) {}

  /** Loads the held ownership (undefined before the first one: records carry epoch 0). */
  load(): Ownership | undefined {
    this.layer.mkdirSync(this.dir);
    const raw = this.layer.readFileSync(join(this.dir, OWNERSHIP_FILE));
    if (raw === undefined) return (this.held = undefined);
    // Atomic writes make a torn file impossible; anything unreadable was put there by hand.
    const parsed = OwnershipSchema.safeParse(safeJson(raw.toString('utf8')));
    if (!parsed.success) throw new Error(`${join(this.dir, OWNERSHIP_FILE)} is not a valid ownership state`);
    return (this.held = parsed.data);
  }

  /** The ownership held in memory (as last loaded or saved). */
  current(): Ownership | undefined {
    return this.held;
  }

  /** Persists durably, then makes it the held ownership. Throws when the disk refuses. */
  save(ownership: Ownership): void {
    const valid = OwnershipSchema.parse(ownership);
    atomicWriteFile(this.layer, join(this.dir, OWNERSHIP_FILE), `${JSON.stringify(valid)}\n`);
    this.held = valid;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
