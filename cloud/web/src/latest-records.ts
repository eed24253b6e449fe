/**
 * The newest stored records of a device. `GET /v1/devices/:id/telemetry` lists oldest first, so
 * the console asks for a recent window and pages through it, keeping the tail; a device with
 * nothing recent gets a wider window (the last week). Bounded: a few pages of 1 000 at most.
 */
import { api, withQuery, type Page, type TelemetryRecord } from './api.js';

const WINDOWS_MS = [15 * 60_000, 7 * 86_400_000];
const MAX_PAGES = 5;

export async function latestRecords(deviceId: string, keep: number, now = Date.now()): Promise<TelemetryRecord[]> {
  const path = `/v1/devices/${encodeURIComponent(deviceId)}/telemetry`;
  for (const window of WINDOWS_MS) {
    let tail: TelemetryRecord[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page: Page<TelemetryRecord> = await api<Page<TelemetryRecord>>('GET', withQuery(path, { from: now - window, limit: 1000, cursor }));
      tail = [...tail, ...page.items].slice(-keep);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    if (tail.length > 0) return tail;
  }
  return [];
}
