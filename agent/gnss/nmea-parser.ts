/**
 * NMEA 0183 parsing (RMC and GGA, any talker). Pure: bytes in, lines out, sentences in, fixes
 * out. Checksums are verified; bad sentences are counted and skipped, never thrown.
 */

/** Splits a byte stream into lines (`\r\n`, `\n` or `\r`); chunks may be split anywhere. */
export class NmeaLineFramer {
  private buf = '';

  /**
   * @param maxLineChars Longer lines are garbage (NMEA 0183 caps a sentence at 82 characters;
   *   proprietary ones run longer); dropped so noise cannot grow memory. Default 256.
   */
  constructor(private readonly maxLineChars = 256) {}

  /** Feeds bytes; returns the complete non-empty lines, without terminators. */
  push(chunk: Buffer | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const parts = this.buf.split(/\r\n|\n|\r/);
    this.buf = parts.pop() ?? '';
    if (this.buf.length > this.maxLineChars) this.buf = '';
    return parts.filter((l) => l.length > 0 && l.length <= this.maxLineChars);
  }
}

/** XOR of every character between `$` and `*` (NMEA 0183 checksum), as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** Builds a sentence with its checksum: `$` + body + `*hh`. */
export function buildSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

/** RMC: recommended minimum data. */
export interface RmcSentence {
  type: 'RMC';
  talker: string;
  /** Milliseconds since UTC midnight, if the time field is present. */
  timeOfDayMs?: number;
  /** Milliseconds since the Unix epoch, from the time and date fields together. */
  utcMs?: number;
  /** Status A (valid) and a mode indicator other than N (no fix). */
  valid: boolean;
  lat?: number;
  lon?: number;
  speedMps?: number;
  headingDeg?: number;
}

/** GGA: fix data. */
export interface GgaSentence {
  type: 'GGA';
  talker: string;
  timeOfDayMs?: number;
  lat?: number;
  lon?: number;
  /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 estimated, ... */
  quality: number;
  satellites?: number;
  hdop?: number;
  /** Altitude above mean sea level, metres. */
  altitudeM?: number;
}

export type NmeaSentence = RmcSentence | GgaSentence | { type: 'other'; talker: string; id: string };

/** Result of {@link parseSentence}: a sentence, or why the line was refused. */
export type ParseResult = { ok: true; sentence: NmeaSentence } | { ok: false; reason: 'format' | 'checksum' };

const KNOTS_TO_MPS = 1852 / 3600;

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/** `hhmmss.sss` -> ms since midnight. */
function timeOfDay(s: string | undefined): number | undefined {
  const m = s ? /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(s) : null;
  if (!m) return undefined;
  return Math.round(((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000);
}

/**
 * `ddmm.mmmm` / `dddmm.mmmm` with hemisphere -> signed decimal degrees. The minutes are the two
 * digits before the point and the fraction, whatever the number of degree digits (some receivers
 * drop leading zeros), split as text so no binary rounding creeps in before the division.
 */
function coordinate(value: string | undefined, hemi: string | undefined, maxDeg: number): number | undefined {
  const m = value ? /^(\d{0,3})(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!m || !hemi || !/^[NSEW]$/.test(hemi)) return undefined;
  const minutes = Number(m[2]);
  const deg = Number(m[1] || '0') + minutes / 60;
  if (minutes >= 60 || deg > maxDeg) return undefined;
  return hemi === 'S' || hemi === 'W' ? -deg : deg;
}

/** `ddmmyy` (RMC) -> ms of that UTC midnight; years 80-99 are 19xx, 00-79 20xx. */
function dateMs(s: string | undefined): number | undefined {
  const m = s ? /^(\d{2})(\d{2})(\d{2})$/.exec(s) : null;
  if (!m) return undefined;
  const yy = Number(m[3]);
  return Date.UTC(yy < 80 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[1]));
}

function parseRmc(talker: string, f: string[]): RmcSentence {
  const timeOfDayMs = timeOfDay(f[1]);
  const day = dateMs(f[9]);
  // NMEA 2.3 adds a mode indicator (field 12); `N` means no fix even with status A.
  const valid = f[2] === 'A' && f[12] !== 'N';
  const speedKnots = num(f[7]);
  return {
    type: 'RMC', talker, valid, timeOfDayMs,
    utcMs: day !== undefined && timeOfDayMs !== undefined ? day + timeOfDayMs : undefined,
    lat: coordinate(f[3], f[4], 90),
    lon: coordinate(f[5], f[6], 180),
    speedMps: speedKnots === undefined ? undefined : speedKnots * KNOTS_TO_MPS,
    headingDeg: num(f[8]),
  };
}

function parseGga(talker: string, f: string[]): GgaSentence {
  return {
    type: 'GGA', talker,
    timeOfDayMs: timeOfDay(f[1]),
    lat: coordinate(f[2], f[3], 90),
    lon: coordinate(f[4], f[5], 180),
    quality: num(f[6]) ?? 0,
    satellites: num(f[7]),
    hdop: num(f[8]),
    altitudeM: num(f[9]),
  };
}

/** Parses one line. Only `$` sentences with a correct `*hh` checksum are accepted. */
export function parseSentence(line: string): ParseResult {
  const m = /^\$([^$*\r\n]*)\*([0-9A-Fa-f]{2})\s*$/.exec(line.trim());
  if (!m) return { ok: false, reason: 'format' };
  const body = m[1]!;
  if (nmeaChecksum(body) !== m[2]!.toUpperCase()) return { ok: false, reason: 'checksum' };
  const fields = body.split(',');
  const address = fields[0]!;
  // Standard addresses are a 2-letter talker + 3-letter formatter; `P...` is proprietary.
  if (address.startsWith('P') || address.length !== 5) {
    return { ok: true, sentence: { type: 'other', talker: address.slice(0, 2), id: address } };
  }
  const talker = address.slice(0, 2);
  const id = address.slice(2);
  if (id === 'RMC') return { ok: true, sentence: parseRmc(talker, fields) };
  if (id === 'GGA') return { ok: true, sentence: parseGga(talker, fields) };
  return { ok: true, sentence: { type: 'other', talker, id } };
}

/** The receiver's latest fix, merged from RMC and GGA. */
export interface GnssFix {
  fix: boolean;
  lat?: number;
  lon?: number;
  speedMps?: number;
  headingDeg?: number;
  /** GGA fix quality (0 = none). */
  quality?: number;
  satellites?: number;
  hdop?: number;
  altitudeM?: number;
  /** UTC milliseconds since the epoch (RMC date + time; GGA time on the last RMC date). */
  utcMs?: number;
}

/**
 * Keeps the latest fix. RMC sets validity, position, speed, heading and date; GGA sets quality,
 * satellites, HDOP, altitude and position. A sentence that says "no fix" clears the position,
 * so a stale position is never reported as current.
 */
export class NmeaFixTracker {
  private state: GnssFix = { fix: false };
  private dayMs: number | undefined;
  /** Lines refused (bad checksum or format). */
  bad = 0;

  /** Feeds one line; returns the parsed sentence, or undefined if it was refused. */
  feed(line: string): NmeaSentence | undefined {
    const r = parseSentence(line);
    if (!r.ok) {
      this.bad++;
      return undefined;
    }
    if (r.sentence.type === 'RMC') this.applyRmc(r.sentence);
    else if (r.sentence.type === 'GGA') this.applyGga(r.sentence);
    return r.sentence;
  }

  /** A copy of the current fix. */
  current(): GnssFix {
    return { ...this.state };
  }

  private applyRmc(s: RmcSentence): void {
    if (s.utcMs !== undefined && s.timeOfDayMs !== undefined) this.dayMs = s.utcMs - s.timeOfDayMs;
    const keep = { quality: this.state.quality, satellites: this.state.satellites, hdop: this.state.hdop };
    if (!s.valid || s.lat === undefined || s.lon === undefined) {
      this.state = { fix: false, ...keep, utcMs: s.utcMs };
      return;
    }
    this.state = {
      ...this.state, fix: true, lat: s.lat, lon: s.lon,
      speedMps: s.speedMps, headingDeg: s.headingDeg, utcMs: s.utcMs,
    };
  }

  private applyGga(s: GgaSentence): void {
    const utcMs = this.dayMs !== undefined && s.timeOfDayMs !== undefined ? this.dayMs + s.timeOfDayMs : this.state.utcMs;
    const common = { quality: s.quality, satellites: s.satellites, hdop: s.hdop, utcMs };
    if (s.quality === 0 || s.lat === undefined || s.lon === undefined) {
      this.state = { fix: false, ...common };
      return;
    }
    this.state = { ...this.state, ...common, fix: true, lat: s.lat, lon: s.lon, altitudeM: s.altitudeM };
  }
}
