import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { liveJson, type StoredRecord } from '../../cloud/mqtt/live-json.js';
import { LiveTelemetrySchema } from '../../protocol/messages.js';

/** JSON values as JSON.parse gives them back (no -0, no undefined), as ingest stores `data`. */
const data = fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>);
const int = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const record = fc.record({ stream: fc.string(), seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), epoch: int, ts: int, kind: fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/), data });

describe('live fan-out payload', () => {
  it('is byte for byte JSON.stringify of {unitId, deviceId, records}, and reads back with the protocol schema', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(record, { maxLength: 20 }), (unitId, id, records) => {
        const stored: StoredRecord[] = records.map(({ data: d, ...r }) => ({ ...r, dataJson: JSON.stringify(d) }));
        const bytes = liveJson({ unitId, id }, stored).toString('utf8');
        expect(bytes).toBe(JSON.stringify({ unitId, deviceId: id, records }));
        const parsed = LiveTelemetrySchema.safeParse(JSON.parse(bytes));
        expect(parsed.success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
