/**
 * The durable on-device telemetry queue (contract: "Data follows ownership"; issue 6, item 6).
 *
 * Every reading gets the next `seq` of the queue's `stream` (starting at 1, growing by exactly 1)
 * and is on disk before `append` returns. A record leaves the queue only when the registry's
 * `telemetry/ack` covers it. When the queue is full, the configured policy discards records; their
 * seqs are declared in the `dropped` ranges of the next batch and counted, never silently lost.
 */
import type { QueueHealth, SeqRange, TelemetryRecord } from '../../protocol/messages.js';

/** A reading ready to be queued: what the record will carry apart from its seq. */
export interface QueueInput {
  kind: string;
  data: Record<string, unknown>;
  /** Integer milliseconds since the Unix epoch (UTC). */
  ts: number;
  /** The ownership epoch held when the reading was recorded (0 before any). */
  epoch: number;
}

/** One telemetry batch ready to publish (the `v1/devices/{unitId}/telemetry` payload). */
export interface QueueBatch {
  stream: string;
  /** Oldest first, consecutive seqs except where records were dropped. */
  records: TelemetryRecord[];
  /** Seqs discarded on the device and not yet acknowledged; empty when none. */
  dropped: SeqRange[];
  /** The highest seq this batch covers (its last record or dropped range). */
  lastSeq: number;
}

/** A refused record, as listed in the ack's `rejected`. */
export interface Rejection {
  seq: number;
  reason: string;
}

/** What the queue does when it reaches its bound. Default drop-oldest. */
export type FullPolicy = 'drop-oldest' | 'drop-newest';

/** Bounds of a queue. */
export interface QueueLimits {
  /** Sum of stored record sizes (their JSON bytes). */
  maxBytes: number;
  maxRecords: number;
  /** drop-oldest (default) discards the oldest records, drop-newest the incoming one. */
  policy: FullPolicy;
}

/** The interface every queue implementation passes (test/unit/agent-queue-contract.test.ts). */
export interface DurableQueue {
  /** Opens (or creates, with a new stream) the queue. */
  open(): void;
  /** The stream id of this queue's seqs. */
  readonly stream: string;
  /**
   * Stores a reading durably and returns its seq. Throws a RangeError for a record larger than
   * MAX_RECORD_BYTES (it could never be sent).
   */
  append(input: QueueInput): number;
  /** The oldest records, at most `maxRecords` and `maxBytes` of JSON; undefined when nothing is pending. */
  peekBatch(maxRecords: number, maxBytes: number): QueueBatch | undefined;
  /** Deletes every record up to `upTo`, moving `rejected` ones aside with their reason. */
  ack(upTo: number, rejected: readonly Rejection[]): void;
  /** Depth, oldest ts, and how many records were ever discarded on this device. */
  health(): QueueHealth;
  /** Discarded seq ranges still to be declared (acknowledged ones are forgotten). */
  droppedRanges(): SeqRange[];
  /** Rejected records moved aside, oldest first (for diagnosis). */
  rejected(limit?: number): Array<TelemetryRecord & { reason: string }>;
  close(): void;
}

/** Adds `seq` to sorted, merged ranges (adjacent seqs merge into one range). */
export function addToRanges(ranges: SeqRange[], from: number, to: number): SeqRange[] {
  const last = ranges[ranges.length - 1];
  if (last && last.to + 1 >= from) {
    last.to = Math.max(last.to, to);
    return ranges;
  }
  ranges.push({ from, to });
  return ranges;
}
