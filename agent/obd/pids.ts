/**
 * SAE J1979 (ISO 15031-5) decoding: mode 01 PIDs into SI-style units, supported-PID bitmaps,
 * the VIN (mode 09 PID 02) and stored trouble codes (mode 03). Pure: bytes in, values out.
 * The encoders are the exact inverses, used by the simulated vehicle so both sides share one
 * table. Data keys and units are listed in agent/obd/README.md.
 */

/** One mode 01 PID: how many data bytes it answers and how they map to a value. */
export interface PidSpec {
  /** The PID number (0x0C for RPM). */
  pid: number;
  /** Data key in `obd` readings (see README). */
  key: string;
  /** Unit of the decoded value. */
  unit: string;
  /** Number of data bytes (A, B, ...) after the `41 pid` prefix. */
  bytes: number;
  decode(d: readonly number[]): number;
  /** Inverse of decode, rounding to the PID's resolution and clamping to its range. */
  encode(value: number): number[];
}

const clampByte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
const word = (v: number): number[] => {
  const w = Math.max(0, Math.min(0xffff, Math.round(v)));
  return [w >> 8, w & 0xff];
};
const pct = (pid: number, key: string): PidSpec => ({
  pid, key, unit: '%', bytes: 1,
  // J1979: A*100/255; rounded to 0.1 % so the value reads like the dashboard.
  decode: (d) => Math.round(((d[0] ?? 0) * 1000) / 255) / 10,
  encode: (v) => [clampByte((v * 255) / 100)],
});
const temp = (pid: number, key: string): PidSpec => ({
  pid, key, unit: 'degC', bytes: 1,
  decode: (d) => (d[0] ?? 0) - 40,
  encode: (v) => [clampByte(v + 40)],
});

/** The mode 01 PIDs this agent decodes, by PID number. */
export const MODE01_PIDS: ReadonlyMap<number, PidSpec> = new Map(
  ([
    pct(0x04, 'engineLoadPct'),
    temp(0x05, 'coolantTempC'),
    {
      pid: 0x0c, key: 'rpm', unit: 'rpm', bytes: 2,
      decode: (d) => ((d[0] ?? 0) * 256 + (d[1] ?? 0)) / 4,
      encode: (v) => word(v * 4),
    },
    {
      pid: 0x0d, key: 'speedKmh', unit: 'km/h', bytes: 1,
      decode: (d) => d[0] ?? 0,
      encode: (v) => [clampByte(v)],
    },
    temp(0x0f, 'intakeTempC'),
    pct(0x11, 'throttlePct'),
    {
      pid: 0x1f, key: 'runTimeS', unit: 's', bytes: 2,
      decode: (d) => (d[0] ?? 0) * 256 + (d[1] ?? 0),
      encode: (v) => word(v),
    },
    pct(0x2f, 'fuelLevelPct'),
    {
      pid: 0x42, key: 'moduleVoltageV', unit: 'V', bytes: 2,
      decode: (d) => ((d[0] ?? 0) * 256 + (d[1] ?? 0)) / 1000,
      encode: (v) => word(v * 1000),
    },
    temp(0x46, 'ambientTempC'),
  ] satisfies PidSpec[]).map((s) => [s.pid, s] as const),
);

/** Formats a PID number as the two-digit upper-case hex the settings and commands use. */
export const pidHex = (pid: number): string => pid.toString(16).toUpperCase().padStart(2, '0');

/** True for the "PIDs supported [01-20]" family: 0x00, 0x20, 0x40, ... 0xE0. */
export const isSupportBitmapPid = (pid: number): boolean => pid % 0x20 === 0 && pid <= 0xe0;

/**
 * Decodes a mode 01 (or 09) support bitmap: bit 7 of A is PID base+1, bit 0 of D is base+0x20
 * (which, when set, announces the next bitmap). Returns the supported PID numbers.
 */
export function decodeSupportBitmap(base: number, data: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) {
    const byte = data[i >> 3] ?? 0;
    if (byte & (0x80 >> (i & 7))) out.push(base + i + 1);
  }
  return out;
}

/** Inverse of {@link decodeSupportBitmap}: the 4 data bytes for `base` given a supported set. */
export function encodeSupportBitmap(base: number, supported: ReadonlySet<number>): number[] {
  const out = [0, 0, 0, 0];
  for (let i = 0; i < 32; i++) {
    if (supported.has(base + i + 1)) out[i >> 3]! |= 0x80 >> (i & 7);
  }
  return out;
}

/** A decoded mode 01 answer: `{ key: value }` or undefined when the PID is unknown/short. */
export function decodeMode01(pid: number, data: readonly number[]): { key: string; value: number } | undefined {
  const spec = MODE01_PIDS.get(pid);
  if (!spec || data.length < spec.bytes) return undefined;
  return { key: spec.key, value: spec.decode(data) };
}

const DTC_LETTERS = ['P', 'C', 'B', 'U'] as const;

/** One trouble code from its two bytes (SAE J2012 / J1979): `0x01 0x33` -> `P0133`. */
export function decodeDtc(a: number, b: number): string {
  const letter = DTC_LETTERS[(a >> 6) & 3]!;
  const rest = (((a & 0x3f) << 8) | b).toString(16).toUpperCase().padStart(4, '0');
  return letter + rest;
}

/** Inverse of {@link decodeDtc}; throws on a malformed code (simulator input). */
export function encodeDtc(code: string): [number, number] {
  const m = /^([PCBU])([0-3][0-9A-F]{3})$/i.exec(code);
  if (!m) throw new Error(`not a trouble code: ${code}`);
  const hi = DTC_LETTERS.indexOf(m[1]!.toUpperCase() as (typeof DTC_LETTERS)[number]);
  const v = parseInt(m[2]!, 16);
  return [(hi << 6) | (v >> 8), v & 0xff];
}

/**
 * Stored DTCs from one ECU's mode 03 answer (bytes starting with 0x43). On CAN (ISO 15765-4)
 * the second byte is the number of codes, so the byte count after 0x43 is odd; on the older
 * protocols each line is 0x43 plus three code pairs padded with 0000. `0000` is padding.
 */
export function decodeDtcs(messages: readonly (readonly number[])[]): string[] {
  const codes: string[] = [];
  for (const msg of messages) {
    if (msg[0] !== 0x43) continue;
    let body = msg.slice(1);
    if (body.length % 2 === 1) body = body.slice(1, 1 + 2 * (body[0] ?? 0));
    for (let i = 0; i + 1 < body.length; i += 2) {
      const a = body[i]!, b = body[i + 1]!;
      if (a === 0 && b === 0) continue;
      const code = decodeDtc(a, b);
      if (!codes.includes(code)) codes.push(code);
    }
  }
  return codes;
}

/**
 * The VIN from mode 09 PID 02 (J1979): on CAN one message `49 02 01` + 17 ASCII bytes; on the
 * older protocols five lines `49 02 nn` + 4 bytes each, the first padded with zeros.
 * Returns null unless 17 valid VIN characters (ISO 3779: no I, O, Q) are found.
 */
export function decodeVin(messages: readonly (readonly number[])[]): string | null {
  const parts = messages.filter((m) => m[0] === 0x49 && m[1] === 0x02);
  if (parts.length === 0) return null;
  const ordered = parts.length > 1 ? [...parts].sort((x, y) => (x[2] ?? 0) - (y[2] ?? 0)) : parts;
  const bytes = ordered.flatMap((m) => m.slice(3)).filter((b) => b !== 0);
  const text = String.fromCharCode(...bytes).trim();
  const vin = text.slice(-17);
  return /^[A-HJ-NPR-Z0-9]{17}$/.test(vin) ? vin : null;
}

/** Parses the ELM327 `ATRV` answer (`12.6V`) into volts, or undefined. */
export function parseVoltage(text: string): number | undefined {
  const m = /^(\d{1,2}(?:\.\d+)?)\s*V$/i.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}
