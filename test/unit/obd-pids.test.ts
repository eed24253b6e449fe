/** SAE J1979 decoding against known byte strings (J1979 formulas, Wikipedia "OBD-II PIDs" examples). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDtc, decodeDtcs, decodeMode01, decodeSupportBitmap, decodeVin, encodeDtc, encodeSupportBitmap, MODE01_PIDS,
  parseVoltage,
} from '../../agent/obd/pids.js';

const bytes = (hex: string): number[] => hex.trim().split(/\s+/).map((h) => parseInt(h, 16));

describe('mode 01 PIDs', () => {
  const table: [string, string, number][] = [
    // answer (41 pid data), key, value
    ['41 0C 1A F8', 'rpm', 1726], // (0x1A*256+0xF8)/4
    ['41 0C 00 00', 'rpm', 0],
    ['41 0C FF FF', 'rpm', 16383.75],
    ['41 0D 3C', 'speedKmh', 60],
    ['41 0D FF', 'speedKmh', 255],
    ['41 05 7B', 'coolantTempC', 83],
    ['41 05 00', 'coolantTempC', -40],
    ['41 04 80', 'engineLoadPct', 50.2], // A*100/255
    ['41 04 FF', 'engineLoadPct', 100],
    ['41 11 00', 'throttlePct', 0],
    ['41 11 33', 'throttlePct', 20],
    ['41 2F C0', 'fuelLevelPct', 75.3],
    ['41 42 30 D4', 'moduleVoltageV', 12.5], // (A*256+B)/1000
    ['41 0F 3C', 'intakeTempC', 20],
    ['41 1F 01 2C', 'runTimeS', 300],
    ['41 46 32', 'ambientTempC', 10],
  ];
  it.each(table)('%s -> %s = %d', (answer, key, value) => {
    const b = bytes(answer);
    expect(decodeMode01(b[1]!, b.slice(2))).toEqual({ key, value });
  });

  it('refuses a short answer and an unknown PID', () => {
    expect(decodeMode01(0x0c, [0x1a])).toBeUndefined();
    expect(decodeMode01(0x99, [1, 2, 3, 4])).toBeUndefined();
  });

  it('encode is the inverse of decode on every byte value (the simulator relies on it)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODE01_PIDS.values()), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 2, maxLength: 2 }), (spec, raw) => {
        const data = raw.slice(0, spec.bytes);
        expect(spec.encode(spec.decode(data))).toEqual(data);
      }),
    );
  });
});

describe('supported-PID bitmaps', () => {
  it('decodes 41 00 BE 1F A8 13', () => {
    expect(decodeSupportBitmap(0, bytes('BE 1F A8 13'))).toEqual([
      0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x13, 0x15, 0x1c, 0x1f, 0x20,
    ]);
  });
  it('offsets by the base PID and round-trips', () => {
    expect(decodeSupportBitmap(0x40, bytes('40 00 00 00'))).toEqual([0x42]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0x21, max: 0x40 })), (pids) => {
        expect(decodeSupportBitmap(0x20, encodeSupportBitmap(0x20, new Set(pids)))).toEqual([...pids].sort((a, b) => a - b));
      }),
    );
  });
});

describe('trouble codes (mode 03)', () => {
  it('decodes each letter', () => {
    expect(decodeDtc(0x01, 0x33)).toBe('P0133');
    expect(decodeDtc(0x41, 0x23)).toBe('C0123');
    expect(decodeDtc(0x92, 0x34)).toBe('B1234');
    expect(decodeDtc(0xd1, 0x05)).toBe('U1105');
    expect(decodeDtc(0x3f, 0xff)).toBe('P3FFF');
  });
  it('reads CAN answers (count byte) and legacy ones (zero padding)', () => {
    expect(decodeDtcs([bytes('43 00')])).toEqual([]);
    expect(decodeDtcs([bytes('43 02 01 33 D1 05')])).toEqual(['P0133', 'U1105']);
    expect(decodeDtcs([bytes('43 01 33 00 00 00 00')])).toEqual(['P0133']);
    expect(decodeDtcs([bytes('43 01 33 02 44 03 00'), bytes('43 04 20 00 00 00 00')])).toEqual(['P0133', 'P0244', 'P0300', 'P0420']);
  });
  it('encode is the inverse of decode', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
      expect(encodeDtc(decodeDtc(a, b))).toEqual([a, b]);
    }));
    expect(() => encodeDtc('X0133')).toThrow();
  });
});

describe('VIN (mode 09 PID 02)', () => {
  const vin = '1G1JC5444R7252367';
  const ascii = [...Buffer.from(vin, 'latin1')];
  it('reads the CAN single message', () => {
    expect(decodeVin([[0x49, 0x02, 0x01, ...ascii]])).toBe(vin);
  });
  it('reads the legacy five numbered lines in any order', () => {
    const padded = [0, 0, 0, ...ascii];
    const lines = [0, 1, 2, 3, 4].map((i) => [0x49, 0x02, i + 1, ...padded.slice(i * 4, i * 4 + 4)]);
    expect(decodeVin([lines[3]!, lines[0]!, lines[4]!, lines[1]!, lines[2]!])).toBe(vin);
  });
  it('refuses what is not a VIN', () => {
    expect(decodeVin([[0x49, 0x02, 0x01, ...Buffer.from('IOQ45678901234567', 'latin1')]])).toBeNull();
    expect(decodeVin([[0x41, 0x0c, 0, 0]])).toBeNull();
    expect(decodeVin([])).toBeNull();
  });
});

describe('ATRV', () => {
  it('parses volts', () => {
    expect(parseVoltage('12.6V')).toBe(12.6);
    expect(parseVoltage(' 9.8V ')).toBe(9.8);
    expect(parseVoltage('?')).toBeUndefined();
  });
});
