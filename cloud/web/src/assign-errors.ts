/**
 * Reads the `details` of a refused `POST /v1/devices/assign` (400: every unknown, invisible or
 * duplicated entry) into entry -> reason, whatever the exact field names, so each can be shown
 * next to what was pasted.
 */

export interface Offence {
  entry: string;
  reason: string;
}

const ENTRY_KEYS = ['entry', 'value', 'unitId', 'deviceId', 'id', 'input'] as const;
const REASON_KEYS = ['reason', 'problem', 'message', 'error', 'code'] as const;

const REASON_WORDS: Record<string, string> = {
  unknown: 'unknown, or not visible to you',
  not_found: 'unknown, or not visible to you',
  'not-found': 'unknown, or not visible to you',
  invisible: 'unknown, or not visible to you',
  duplicate: 'listed more than once',
  duplicated: 'listed more than once',
  invalid: 'not a valid unit id or device id',
  malformed: 'not a valid unit id or device id',
};

function pickString(o: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (typeof o[k] === 'string' && o[k]) return o[k];
  return undefined;
}

export function readOffences(details: unknown): Offence[] {
  const list = Array.isArray(details) ? details : details && typeof details === 'object' ? Object.values(details).flat() : [];
  const out: Offence[] = [];
  for (const d of list) {
    if (typeof d === 'string') out.push({ entry: d, reason: REASON_WORDS.unknown! });
    else if (d && typeof d === 'object') {
      const o = d as Record<string, unknown>;
      const entry = pickString(o, ENTRY_KEYS);
      if (entry === undefined) continue;
      const raw = pickString(o, REASON_KEYS) ?? 'unknown';
      out.push({ entry, reason: REASON_WORDS[raw] ?? raw });
    }
  }
  return out;
}

/** Entry -> reason, matched as the registry compares them (trimmed; unit ids lower-cased). */
export function offenceMap(offences: readonly Offence[]): Map<string, string> {
  return new Map(offences.map((o) => [o.entry.trim().toLowerCase(), o.reason]));
}
