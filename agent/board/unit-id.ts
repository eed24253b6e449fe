/**
 * The hardware unit id of a Raspberry Pi, derived from the board serial.
 *
 * Sources, in order: the device tree (`/sys/firmware/devicetree/base/serial-number`, a
 * NUL-terminated string, usually 16 hex digits) and the `Serial` line of `/proc/cpuinfo`
 * (`Serial\t\t: 10000000abcdef12`). Both paths are configurable so tests use fixture files.
 *
 * Normalisation (the contract's form is lower-case hex, 12 to 32 characters):
 * - strip NUL bytes and whitespace, drop an optional `0x` prefix, lower-case;
 * - a serial shorter than 12 digits is left-padded with zeros (some boards report 8 digits; the
 *   padding keeps the value, so the id stays stable and unique);
 * - a serial that is not hex, longer than 32 digits, or all zeros (emulators and unprogrammed
 *   OTP report zeros, which would collide across units) is not a unit id: an error, not a guess.
 */
import { readFileSync } from 'node:fs';
import { UNIT_ID_RE } from '../../protocol/topics.js';

/** Where the board serial is read. */
export interface BoardPaths {
  /** Default /sys/firmware/devicetree/base/serial-number. */
  serialPath: string;
  /** Default /proc/cpuinfo. */
  cpuinfoPath: string;
}

export class UnitIdError extends Error {
  override name = 'UnitIdError';
}

/** Normalises a raw serial to a unit id, or undefined when it cannot be one (see file comment). */
export function normaliseSerial(raw: string): string | undefined {
  let s = raw.replace(/[\u0000\s]/g, '').toLowerCase();
  if (s.startsWith('0x')) s = s.slice(2);
  if (!/^[0-9a-f]{1,32}$/.test(s) || /^0+$/.test(s)) return undefined;
  const id = s.padStart(12, '0');
  return UNIT_ID_RE.test(id) ? id : undefined;
}

/** The value of the `Serial` line of a /proc/cpuinfo text, if any. */
export function cpuinfoSerial(cpuinfo: string): string | undefined {
  const line = cpuinfo.split('\n').find((l) => /^Serial\s*:/.test(l));
  return line?.slice(line.indexOf(':') + 1).trim();
}

type Read = (path: string) => string | undefined;

const readIfPresent: Read = (path) => {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
};

/**
 * Derives the unit id from the board. Throws a {@link UnitIdError} naming both paths and what was
 * found when neither yields a usable serial (then set AGENT_UNIT_ID).
 */
export function readUnitId(paths: BoardPaths, read: Read = readIfPresent): string {
  const tried: string[] = [];
  const dt = read(paths.serialPath);
  if (dt !== undefined) {
    const id = normaliseSerial(dt);
    if (id) return id;
    tried.push(`${paths.serialPath} holds no usable serial`);
  } else tried.push(`${paths.serialPath} is missing`);
  const info = read(paths.cpuinfoPath);
  const serial = info === undefined ? undefined : cpuinfoSerial(info);
  if (serial !== undefined) {
    const id = normaliseSerial(serial);
    if (id) return id;
    tried.push(`the Serial line of ${paths.cpuinfoPath} is not a usable serial`);
  } else tried.push(info === undefined ? `${paths.cpuinfoPath} is missing` : `${paths.cpuinfoPath} has no Serial line`);
  throw new UnitIdError(`cannot derive the unit id from the board (${tried.join('; ')}); set AGENT_UNIT_ID`);
}
