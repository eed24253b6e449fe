/**
 * Ingest's cheaper record schema accepts exactly what the protocol's TelemetryRecordSchema accepts
 * and stores the same `data`, on JSON-shaped input (what JSON.parse gives ingest).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestRecordSchema } from '../../cloud/mqtt/ingest.js';
import { TelemetryRecordSchema } from '../../protocol/messages.js';

const field = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, fc.jsonValue());
const record = fc.record(
  {
    seq: field(fc.integer({ min: -2, max: 1e6 })),
    epoch: field(fc.integer({ min: -1, max: 9 })),
    ts: field(fc.oneof(fc.integer({ min: -1 }), fc.double())),
    kind: field(fc.constantFrom('obd', 'gnss', 'Bad', '', 'status_2')),
    data: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), fc.constant({ __proto__: { x: 1 } })),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe('ingest record schema', () => {
  it('agrees with the protocol schema on acceptance and on the data it keeps', () => {
    fc.assert(
      fc.property(record, (r) => {
        // Through JSON, as ingest sees it; and with an own "__proto__" key in data (JSON.parse keeps it).
        const inputs: unknown[] = [JSON.parse(JSON.stringify(r))];
        const d = r.data;
        if ('data' in r && typeof d === 'object' && d !== null && !Array.isArray(d)) {
          const text = JSON.stringify(d);
          const withProto = `{"__proto__":{"y":2}${text === '{}' ? '' : `,${text.slice(1, -1)}`}}`;
          inputs.push(JSON.parse(JSON.stringify({ ...r, data: '@@DATA@@' }).replace('"@@DATA@@"', () => withProto)));
        }
        for (const x of inputs) {
          const want = TelemetryRecordSchema.safeParse(x);
          const got = IngestRecordSchema.safeParse(x);
          expect(got.success).toBe(want.success);
          if (want.success && got.success) expect(JSON.stringify(got.data.data)).toBe(JSON.stringify(want.data.data));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('drops an own __proto__ key of data, as the protocol schema does', () => {
    const x = JSON.parse('{"seq":1,"epoch":0,"ts":5,"kind":"obd","data":{"__proto__":{"polluted":true},"rpm":900}}');
    const got = IngestRecordSchema.parse(x);
    expect(JSON.stringify(got.data)).toBe('{"rpm":900}');
    expect(IngestRecordSchema.safeParse({ ...x, data: [] }).success).toBe(false);
  });
});
