/** The device page's headline values, picked from telemetry records (cloud/web/src/readings.ts). */
import { describe, expect, it } from 'vitest';
import { latestReadings, summarize } from '../../cloud/web/src/readings.js';

const rec = (ts: number, kind: string, data: Record<string, unknown>) => ({ seq: ts, epoch: 1, ts, kind, data });

describe('latestReadings', () => {
  it('takes the newest of each value whatever the order, from gnss and obd records', () => {
    const l = latestReadings([
      rec(30, 'obd', { rpm: 900 }),
      rec(10, 'gnss', { lat: 1, lon: 2, speedMps: 10 }),
      rec(20, 'gnss', { lat: 55.5, lon: 12.5 }),
      rec(5, 'obd', { rpm: 3000, speedKmh: 99 }),
    ]);
    expect(l).toEqual({ lat: 55.5, lon: 12.5, speedKmh: 36, rpm: 900, ts: 30 });
  });

  it('prefers the newest speed from either source, and ignores what is not a finite number', () => {
    const l = latestReadings([rec(1, 'gnss', { speedMps: 5 }), rec(2, 'obd', { speedKmh: 50, rpm: 'fast' }), rec(3, 'gnss', { lat: 1, lon: null })]);
    expect(l).toEqual({ speedKmh: 50, ts: 3 });
    expect(latestReadings([])).toEqual({});
  });
});

describe('summarize', () => {
  it('shows up to eight values on one line, numbers rounded', () => {
    expect(summarize({ rpm: 1234.56789012, on: true, code: 'P0420' })).toBe('rpm: 1234.56789, on: true, code: "P0420"');
    expect(summarize(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]))).split(', ')).toHaveLength(8);
  });
});
