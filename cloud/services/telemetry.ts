/**
 * Reading telemetry over REST: only records attributed to accounts the caller sees. An old owner
 * reads the history recorded while it owned the device; a new owner sees nothing before.
 */
import { seesDevice, type Actor } from '../domain/permissions.js';
import { Errors } from '../errors.js';
import { TelemetryStore, type TelemetryKey, type TelemetryRow } from '../store/telemetry-store.js';
import type { Context } from './context.js';
import { decodeCursor, toPage } from './cursor.js';
import { isId, must } from './guard.js';

/** The cursor carries its order, so a cursor of one order is refused by the other. */
type Cursor = ['a' | 'd', number, string, number];
const isCursor = (v: unknown): v is Cursor =>
  Array.isArray(v) && v.length === 4 && (v[0] === 'a' || v[0] === 'd') && Number.isSafeInteger(v[1]) && typeof v[2] === 'string' && Number.isSafeInteger(v[3]);

const toRecord = (r: TelemetryRow) => ({
  stream: r.stream, seq: r.seq, epoch: r.epoch, ts: r.ts, kind: r.kind, accountId: r.account_id,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

export interface TelemetryQuery {
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
  /** `asc` (default): oldest first; `desc`: newest first. */
  order?: 'asc' | 'desc';
}

export class TelemetryService {
  private readonly store: TelemetryStore;

  constructor(private readonly ctx: Context) {
    this.store = new TelemetryStore(ctx.db);
  }

  read(actor: Actor, deviceId: string, q: TelemetryQuery) {
    const owner = isId(deviceId) ? this.ctx.links.ownerOf(deviceId) : undefined;
    const live = owner !== undefined && owner.deleted_at === null;
    // Sees the device now, or holds history of it (records attributed inside its subtree).
    const seesNow = live && seesDevice(actor, owner.account_path);
    const attributedPath = seesNow ? owner.account_path : owner && this.store.anyAttributed(deviceId, actor.accountPath) ? actor.accountPath : '';
    must(actor, { kind: 'telemetry.read', attributedPath }, 'device');
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw Errors.invalid('from', 'must not be after to');
    const desc = q.order === 'desc';
    const cursor = decodeCursor(q.cursor, isCursor);
    if (cursor && cursor[0] !== (desc ? 'd' : 'a')) throw Errors.invalid('cursor', 'was given out for the other order');
    const after: TelemetryKey | null = cursor ? [cursor[1], cursor[2], cursor[3]] : null;
    const rows = this.store.read({
      deviceId, prefix: actor.accountPath, from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER, after, limit: q.limit + 1, desc,
    });
    return toPage(rows, q.limit, toRecord, (r): Cursor => [desc ? 'd' : 'a', r.ts, r.stream, r.seq]);
  }
}
