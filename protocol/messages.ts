/**
 * One zod schema per MQTT payload of the contract (MQTT 3.1.1, JSON payloads). The cloud and the
 * agent validate with the same schemas, so a message one side builds is one the other accepts.
 */
import { z } from 'zod';

/** Limits of one telemetry batch (contract: at most 500 records and 256 KiB). */
export const MAX_RECORDS_PER_BATCH = 500;
export const MAX_BATCH_BYTES = 256 * 1024;
/** One record's JSON must fit in this many bytes (a record is a reading, not a file). */
export const MAX_RECORD_BYTES = 16 * 1024;

const Int = z.number().int();
const Ms = Int.min(0).max(Number.MAX_SAFE_INTEGER);

/** Account settings (contract: Account settings). Unknown keys are refused. */
export const SettingsSchema = z.strictObject({
  /** Milliseconds between two readings, 200 to 3 600 000. */
  telemetryIntervalMs: Int.min(200).max(3_600_000).optional(),
  /** Mode 01 PIDs to poll, as two-digit hex strings ("0C", "0D"). */
  obdPids: z.array(z.string().regex(/^[0-9A-Fa-f]{2}$/, 'a two-digit hex PID of mode 01')).max(256).optional(),
  /** Whether the GNSS receiver is read. */
  gnss: z.boolean().optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;
/** Effective settings: every key resolved. */
export type EffectiveSettings = Required<Settings>;

/** The registry's defaults, the last step of the nearest-account-wins merge. */
export const DEFAULT_SETTINGS: EffectiveSettings = Object.freeze({
  telemetryIntervalMs: 5_000,
  obdPids: ['04', '05', '0C', '0D', '11', '2F', '42'],
  gnss: true,
}) as EffectiveSettings;

export const QueueHealthSchema = z.object({
  depth: Int.min(0),
  oldestTs: Ms.nullable(),
  dropped: Int.min(0),
});
export type QueueHealth = z.infer<typeof QueueHealthSchema>;

/** `v1/devices/{unitId}/hello`, device to cloud, on every connect. */
export const HelloSchema = z.object({
  unitId: z.string(),
  agentVersion: z.string().min(1).max(64),
  epoch: Int.min(0),
  issuedAt: Ms,
  vin: z.string().regex(/^[A-HJ-NPR-Z0-9]{17}$/).nullable().optional(),
  queue: QueueHealthSchema.optional(),
});
export type Hello = z.infer<typeof HelloSchema>;

/** `v1/devices/{unitId}/ownership`, cloud to device, retained. */
export const OwnershipSchema = z.object({
  accountId: z.string(),
  epoch: Int.min(1),
  issuedAt: Ms,
  settings: z.object({
    telemetryIntervalMs: Int.min(200).max(3_600_000),
    obdPids: z.array(z.string()),
    gnss: z.boolean(),
  }),
});
export type Ownership = z.infer<typeof OwnershipSchema>;

/** `v1/devices/{unitId}/ownership/ack`, device to cloud. */
export const OwnershipAckSchema = z.object({ epoch: Int.min(0), issuedAt: Ms });
export type OwnershipAck = z.infer<typeof OwnershipAckSchema>;

/** A random id the agent creates with its state directory. */
export const StreamSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** One telemetry record. `data` values are in SI-style units (see README). */
export const TelemetryRecordSchema = z.object({
  seq: Int.min(1).max(Number.MAX_SAFE_INTEGER),
  epoch: Int.min(0),
  ts: Ms,
  kind: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  data: z.record(z.string(), z.unknown()),
});
export type TelemetryRecord = z.infer<typeof TelemetryRecordSchema>;

export const SeqRangeSchema = z.object({ from: Int.min(1), to: Int.min(1) }).refine((r) => r.from <= r.to, 'from <= to');
export type SeqRange = z.infer<typeof SeqRangeSchema>;

/**
 * `v1/devices/{unitId}/telemetry`: the envelope is validated first; each record on its own with
 * {@link TelemetryRecordSchema}, so one bad record does not sink the batch.
 */
export const TelemetryBatchSchema = z.object({
  stream: StreamSchema,
  records: z.array(z.unknown()).max(MAX_RECORDS_PER_BATCH),
  dropped: z.array(SeqRangeSchema).max(1000).optional(),
});
export type TelemetryBatch = { stream: string; records: TelemetryRecord[]; dropped?: SeqRange[] };

export const REJECT_REASONS = ['schema', 'epoch-ahead', 'future', 'dropped-on-device', 'too-large'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** `v1/devices/{unitId}/telemetry/ack`, cloud to device. */
export const TelemetryAckSchema = z.object({
  stream: StreamSchema,
  upTo: Int.min(0),
  rejected: z.array(z.object({ seq: Int.min(1), reason: z.string() })),
});
export type TelemetryAck = z.infer<typeof TelemetryAckSchema>;

/** `{topicRoot}/devices/{unitId}/telemetry`, cloud to users. */
export const LiveTelemetrySchema = z.object({
  unitId: z.string(),
  deviceId: z.string(),
  records: z.array(TelemetryRecordSchema),
});
export type LiveTelemetry = z.infer<typeof LiveTelemetrySchema>;
