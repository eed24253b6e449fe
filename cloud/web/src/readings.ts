/**
 * Picks the values a fleet operator looks at first from telemetry records. Units follow the
 * agent (README): `gnss` gives lat/lon in degrees and speedMps; `obd` gives speedKmh and rpm
 * (SAE J1979 mode 01 PIDs 0D and 0C).
 */
import type { TelemetryRecord } from './api.js';

export interface Latest {
  lat?: number;
  lon?: number;
  speedKmh?: number;
  rpm?: number;
  ts?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Newest value of each, from records in any order. */
export function latestReadings(records: readonly TelemetryRecord[]): Latest {
  const out: Latest = {};
  const seen: Partial<Record<keyof Latest, number>> = {};
  const take = (key: keyof Latest, v: number | undefined, ts: number) => {
    if (v === undefined || (seen[key] ?? -1) > ts) return;
    seen[key] = ts;
    out[key] = v;
  };
  for (const r of records) {
    const d = r.data;
    const lat = num(d.lat);
    const lon = num(d.lon);
    if (lat !== undefined && lon !== undefined) {
      take('lat', lat, r.ts);
      take('lon', lon, r.ts);
    }
    const mps = num(d.speedMps);
    take('speedKmh', num(d.speedKmh) ?? (mps === undefined ? undefined : mps * 3.6), r.ts);
    take('rpm', num(d.rpm), r.ts);
    take('ts', r.ts, r.ts);
  }
  return out;
}

/** A short one-line view of a record's data. */
export function summarize(data: Record<string, unknown>): string {
  return Object.entries(data)
    .slice(0, 8)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : JSON.stringify(v)}`)
    .join(', ');
}
