/** NMEA 0183 parsing: checksums, empty fields, no fix, talkers, line framing at every split. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSentence, NmeaFixTracker, NmeaLineFramer, nmeaChecksum, parseSentence } from '../../agent/gnss/nmea-parser.js';
import { fixSentences } from '../../agent/simulator/gnss-sim.js';
import { SimulatedVehicle } from '../../agent/simulator/vehicle.js';

// Made-up sentences with correct checksums (computed, so the table cannot drift).
const RMC = buildSentence('GPRMC,123519.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,A');
const GGA = buildSentence('GPGGA,123520.50,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');

describe('checksum', () => {
  it('accepts a correct checksum in either case and refuses a wrong one', () => {
    expect(nmeaChecksum('GPGLL,5057.970,N,00146.110,E,142451,A')).toBe('27');
    expect(parseSentence('$GPGLL,5057.970,N,00146.110,E,142451,A*27')).toMatchObject({ ok: true });
    const lower = RMC.replace(/\*(..)$/, (_, h: string) => `*${h.toLowerCase()}`);
    expect(parseSentence(lower).ok).toBe(true);
    expect(parseSentence(RMC.replace('4807.038', '4807.039'))).toEqual({ ok: false, reason: 'checksum' });
    expect(parseSentence(RMC.slice(0, -3))).toEqual({ ok: false, reason: 'format' });
    expect(parseSentence('garbage')).toEqual({ ok: false, reason: 'format' });
  });

  it('counts refused lines and keeps the previous fix', () => {
    const t = new NmeaFixTracker();
    t.feed(RMC);
    t.feed(RMC.replace('A,4807', 'V,4807'));
    t.feed('$GPRMC,broken');
    expect(t.bad).toBe(2);
    expect(t.current()).toMatchObject({ fix: true, lat: 48 + 7.038 / 60 });
  });
});

describe('RMC and GGA', () => {
  it('decodes an RMC: position, speed in m/s, heading, UTC from the date field', () => {
    const r = parseSentence(RMC);
    expect(r).toMatchObject({ ok: true, sentence: { type: 'RMC', talker: 'GP', valid: true } });
    const s = (r as unknown as { sentence: Record<string, number> }).sentence;
    expect(s.lat).toBeCloseTo(48.1173, 6);
    expect(s.lon).toBeCloseTo(11.516666667, 6);
    expect(s.speedMps).toBeCloseTo((22.4 * 1852) / 3600, 9);
    expect(s.headingDeg).toBe(84.4);
    expect(s.utcMs).toBe(Date.UTC(1994, 2, 23, 12, 35, 19));
  });

  it('decodes a GGA: quality, satellites, HDOP, altitude; time on the last RMC date', () => {
    const t = new NmeaFixTracker();
    t.feed(RMC);
    t.feed(GGA);
    expect(t.current()).toEqual({
      fix: true, lat: 48 + 7.038 / 60, lon: 11 + 31 / 60, speedMps: 22.4 * (1852 / 3600), headingDeg: 84.4,
      quality: 1, satellites: 8, hdop: 0.9, altitudeM: 545.4, utcMs: Date.UTC(1994, 2, 23, 12, 35, 20, 500),
    });
  });

  it('signs the southern and western hemispheres', () => {
    const s = parseSentence(buildSentence('GNRMC,000000,A,3351.000,S,15112.000,W,0,0,010125,,,A'));
    expect(s).toMatchObject({ ok: true, sentence: { lat: -(33 + 51 / 60), lon: -(151 + 12 / 60), utcMs: Date.UTC(2025, 0, 1) } });
  });

  it('reads longitudes without leading zeros and refuses impossible coordinates', () => {
    const t = new NmeaFixTracker();
    t.feed(buildSentence('GPGGA,120000,4807.038,N,1131.000,E,1,05,1.2,10.0,M,,M,,'));
    expect(t.current()).toMatchObject({ fix: true, lon: 11 + 31 / 60 });
    t.feed(buildSentence('GPGGA,120001,9107.038,N,01131.000,E,1,05,1.2,10.0,M,,M,,'));
    expect(t.current()).toMatchObject({ fix: false });
    t.feed(buildSentence('GPGGA,120002,4867.038,N,01131.000,E,1,05,1.2,10.0,M,,M,,'));
    expect(t.current()).toMatchObject({ fix: false });
  });

  it('trusts the RMC date field (gpsd guesses years for some receivers)', () => {
    const s = parseSentence('$GNRMC,171926.00,A,4404.14063,N,12118.85478,W,0.117,,180315,,,A*76');
    expect(s).toMatchObject({ ok: true, sentence: { utcMs: Date.UTC(2015, 2, 18, 17, 19, 26) } });
  });

  it.each(['GP', 'GN', 'GL', 'GA', 'GB', 'BD', 'GQ'])('accepts the %s talker', (talker) => {
    const t = new NmeaFixTracker();
    t.feed(buildSentence(`${talker}GGA,120000,4807.038,N,01131.000,E,1,05,1.2,10.0,M,,M,,`));
    expect(t.current()).toMatchObject({ fix: true, satellites: 5 });
  });

  it('ignores proprietary and other sentences without counting them as bad', () => {
    const t = new NmeaFixTracker();
    expect(t.feed('$PQGSA,A,3,,,,,,,,,,,,,1.2,0.9,0.9,5*3E')).toMatchObject({ type: 'other' });
    expect(t.feed(buildSentence('GPGSV,1,1,00'))).toMatchObject({ type: 'other', id: 'GSV' });
    expect(t.bad).toBe(0);
  });
});

describe('no fix and empty fields', () => {
  it('reports no fix from an all-empty RMC and GGA (receiver searching)', () => {
    const t = new NmeaFixTracker();
    expect(t.feed('$GPRMC,,V,,,,,,,,,,N*53')).toMatchObject({ type: 'RMC', valid: false });
    expect(t.current()).toEqual({ fix: false });
    t.feed('$GPGGA,,,,,,0,,,,M,,M,,*66');
    expect(t.current()).toMatchObject({ fix: false, quality: 0 });
  });

  it('drops the position when the fix is lost, so a stale position is never current', () => {
    const t = new NmeaFixTracker();
    t.feed(RMC);
    t.feed(buildSentence('GPRMC,123521.00,V,4807.038,N,01131.000,E,,,230394,,,N'));
    expect(t.current()).toEqual({ fix: false, utcMs: Date.UTC(1994, 2, 23, 12, 35, 21) });
    t.feed(buildSentence('GPGGA,123522,,,,,0,03,,,M,,M,,'));
    expect(t.current()).toMatchObject({ fix: false, satellites: 3 });
    expect(t.current().lat).toBeUndefined();
  });

  it('a status A RMC with mode indicator N is no fix (NMEA 2.3)', () => {
    const t = new NmeaFixTracker();
    t.feed(buildSentence('GPRMC,123519,A,4807.038,N,01131.000,E,0,0,230394,,,N'));
    expect(t.current().fix).toBe(false);
  });

  it('leaves empty optional fields undefined (speed, heading, HDOP, altitude)', () => {
    const t = new NmeaFixTracker();
    t.feed(buildSentence('GNRMC,010203,A,4807.038,N,01131.000,E,,,230394,,,A'));
    t.feed(buildSentence('GNGGA,010203,4807.038,N,01131.000,E,1,,,,M,,M,,'));
    const f = t.current();
    expect(f).toMatchObject({ fix: true, quality: 1 });
    for (const k of ['speedMps', 'headingDeg', 'satellites', 'hdop', 'altitudeM'] as const) expect(f[k]).toBeUndefined();
  });
});

describe('NmeaLineFramer', () => {
  const text = `${RMC}\r\n${GGA}\r\n$GPRMC,bad*00\n${RMC}\r`;
  const expected = [RMC, GGA, '$GPRMC,bad*00', RMC];

  it('gives the same lines for the stream split at every boundary', () => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j += 5) {
        const f = new NmeaLineFramer();
        expect([text.slice(0, i), text.slice(i, j), text.slice(j)].flatMap((c) => f.push(Buffer.from(c, 'latin1')))).toEqual(expected);
      }
    }
  });

  it('gives the same lines for any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const f = new NmeaLineFramer();
        const out: string[] = [];
        let o = 0;
        for (let k = 0; o < text.length; k++) {
          const n = sizes[k % sizes.length]!;
          out.push(...f.push(text.slice(o, o + n)));
          o += n;
        }
        expect(out).toEqual(expected);
      }),
    );
  });

  it('drops an over-long line instead of growing', () => {
    const f = new NmeaLineFramer(100);
    expect(f.push('x'.repeat(500))).toEqual([]);
    expect(f.push(`\n${RMC}\n`)).toEqual([RMC]);
  });
});

describe('the simulated receiver speaks valid NMEA', () => {
  it('every sentence it builds parses back to the vehicle position', () => {
    const v = new SimulatedVehicle({ initial: { lat: -33.8568, lon: 151.2153, speedKmh: 50, headingDeg: 271.5 } });
    const t = new NmeaFixTracker();
    for (const s of fixSentences(v.state(), Date.UTC(2025, 5, 1, 10, 0, 1))) t.feed(s);
    const f = t.current();
    expect(t.bad).toBe(0);
    expect(f.lat).toBeCloseTo(-33.8568, 6);
    expect(f.lon).toBeCloseTo(151.2153, 6);
    expect(f.speedMps).toBeCloseTo(50 / 3.6, 3);
    expect(f).toMatchObject({ fix: true, headingDeg: 271.5, utcMs: Date.UTC(2025, 5, 1, 10, 0, 1) });
    v.set({ gnssFix: false });
    for (const s of fixSentences(v.state(), Date.UTC(2025, 5, 1, 10, 0, 2))) t.feed(s);
    expect(t.current().fix).toBe(false);
  });
});
