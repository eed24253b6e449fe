/**
 * The live fan-out payload, `{unitId, deviceId, records}` (protocol/messages.ts
 * LiveTelemetrySchema), built from each record's `data` as ingest already serialized it for
 * storage rather than serializing every record again: the same bytes as `JSON.stringify` of the
 * object, at a fraction of the cost on the broker's hot path (tested against it).
 */

/** A stored record as it is fanned out; `dataJson` is `JSON.stringify(data)`. */
export interface StoredRecord {
  stream: string;
  seq: number;
  epoch: number;
  ts: number;
  kind: string;
  dataJson: string;
}

export function liveJson(device: { unitId: string; id: string }, records: readonly StoredRecord[]): Buffer {
  let out = `{"unitId":${JSON.stringify(device.unitId)},"deviceId":${JSON.stringify(device.id)},"records":[`;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    // seq, epoch and ts are validated safe integers, which print as JSON.stringify prints them.
    out += `${i === 0 ? '' : ','}{"stream":${JSON.stringify(r.stream)},"seq":${r.seq},"epoch":${r.epoch},"ts":${r.ts},"kind":${JSON.stringify(r.kind)},"data":${r.dataJson}}`;
  }
  return Buffer.from(`${out}]}`);
}
