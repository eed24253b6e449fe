/**
 * Data follows ownership at the time it was recorded (CONTRACT.md). Pure.
 *
 * A record is attributed to the owner whose `[from, to)` interval contains its timestamp, but never
 * to an owner older than the record's epoch; a record dated before the first eligible interval
 * belongs to that interval's owner. A record whose epoch is newer than the registry's is refused.
 */

export interface Interval {
  epoch: number;
  accountId: string;
  accountPath: string;
  from: number;
  /** null while open. */
  to: number | null;
}

export type Attribution = { accountId: string; accountPath: string } | { refused: 'epoch-ahead' };

/** `intervals` sorted by epoch ascending (the device's ownership history). */
export function attribute(intervals: readonly Interval[], recordEpoch: number, ts: number): Attribution {
  let chosen: Interval | undefined;
  for (const iv of intervals) {
    if (iv.epoch < recordEpoch) continue;
    if (chosen === undefined || iv.from <= ts) chosen = iv;
    else break;
  }
  if (!chosen) return { refused: 'epoch-ahead' };
  return { accountId: chosen.accountId, accountPath: chosen.accountPath };
}

/**
 * The highest seq such that every seq up to it is committed or refused: from `upTo`, advance while
 * the next seq is in `done` (this batch's outcomes) or `stored` says it was committed before.
 */
export function advanceUpTo(upTo: number, done: ReadonlySet<number>, stored: (seq: number) => boolean): number {
  let next = upTo;
  while (done.has(next + 1) || stored(next + 1)) next++;
  return next;
}
