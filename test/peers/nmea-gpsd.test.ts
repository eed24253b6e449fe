/**
 * The NMEA parser against gpsd's decoded output (fixtures/nmea, BSD-2-Clause, the GPSD project).
 *
 * Pairing: each `*.log.chk` interleaves the sentences of its `*.log` with the JSON gpsd emitted
 * right after reading each one. gpsd reports per cycle (when it sees the sentence it learnt ends
 * a cycle, and again on some later sentences), and a TPV carries what the cycle said so far. So
 * every TPV is compared with our tracker's state after the same sentences: position and the fix
 * flag (gpsd mode 2 or 3) with our merged fix, time of day with the latest RMC/GGA we parsed,
 * speed where the cycle had an RMC (the sentence that carries speed), and altitude (GGA, gpsd's
 * `altMSL`) where gpsd has one. Only TPVs before the first
 * RMC/GGA of a log are skipped (gpsd built them from GSA/GLL, which we do not read).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NmeaFixTracker } from '../../agent/gnss/nmea-parser.js';

const dir = new URL('../../../shared/fixtures/nmea/', import.meta.url);
const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();

interface Tpv {
  mode: number;
  lat?: number;
  lon?: number;
  speed?: number;
  time?: string;
  altMSL?: number;
}

interface Tally {
  tpv: number;
  compared: number;
  fix: number;
  noFix: number;
  speed: number;
  time: number;
  alt: number;
  mismatches: string[];
}

const timeOfDayMs = (iso: string): number => {
  const d = new Date(iso);
  return d.getTime() - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
};

function compareLog(name: string): Tally {
  const chk = readFileSync(new URL(`${name}.chk`, dir), 'utf8').split('\n');
  const tracker = new NmeaFixTracker();
  const t: Tally = { tpv: 0, compared: 0, fix: 0, noFix: 0, speed: 0, time: 0, alt: 0, mismatches: [] };
  // The latest RMC/GGA we parsed, and whether the current cycle (since gpsd's last TPV) had an RMC.
  let seen = { rmc: false, timeOfDayMs: undefined as number | undefined, last: '' };
  for (const line of chk) {
    if (line.startsWith('$')) {
      const s = tracker.feed(line);
      if (s?.type === 'RMC' || s?.type === 'GGA') {
        seen = { rmc: seen.rmc || s.type === 'RMC', timeOfDayMs: s.timeOfDayMs, last: line };
      }
      continue;
    }
    if (!line.startsWith('{')) continue;
    const json = JSON.parse(line) as { class: string } & Tpv;
    if (json.class !== 'TPV') continue;
    t.tpv++;
    const cycle = seen;
    seen = { ...seen, rmc: false };
    // Before the first RMC/GGA gpsd reports from sentences we do not parse (GSA, GLL).
    if (!cycle.last) continue;
    t.compared++;
    compareTpv(t, tracker, cycle, json, `${name}: ${cycle.last} -> ${line}`);
  }
  return t;
}

function compareTpv(
  t: Tally,
  tracker: NmeaFixTracker,
  seen: { rmc: boolean; timeOfDayMs: number | undefined },
  json: Tpv,
  where: string,
): void {
  const ours = tracker.current();
  const gpsdFix = json.mode >= 2;
  if (ours.fix !== gpsdFix) t.mismatches.push(`fix ${ours.fix} vs mode ${json.mode}: ${where}`);
  if (gpsdFix) t.fix++;
  else t.noFix++;
  if (gpsdFix && json.lat !== undefined && json.lon !== undefined) {
    // gpsd prints 9 decimals; the receivers give at most 6 decimals of minutes.
    if (Math.abs((ours.lat ?? NaN) - json.lat) > 1e-8 || Math.abs((ours.lon ?? NaN) - json.lon) > 1e-8) {
      t.mismatches.push(`position ${ours.lat},${ours.lon}: ${where}`);
    }
  }
  if (seen.rmc && gpsdFix && json.speed !== undefined) {
    t.speed++;
    // gpsd prints 3 decimals.
    if (Math.abs((ours.speedMps ?? NaN) - json.speed) > 0.0005) t.mismatches.push(`speed ${ours.speedMps}: ${where}`);
  }
  if (gpsdFix && json.altMSL !== undefined) {
    t.alt++;
    // gpsd prints 4 decimals; receivers give 1 or 2.
    if (Math.abs((ours.altitudeM ?? NaN) - json.altMSL) > 0.00005) t.mismatches.push(`altitude ${ours.altitudeM}: ${where}`);
  }
  if (json.time !== undefined) {
    t.time++;
    if (seen.timeOfDayMs !== timeOfDayMs(json.time)) t.mismatches.push(`time ${seen.timeOfDayMs}: ${where}`);
  }
}

describe('NMEA parser agrees with gpsd', () => {
  const totals = { tpv: 0, compared: 0, fix: 0, noFix: 0 };

  it('finds the fixture logs', () => {
    expect(logs.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of logs) {
    it(`${name}: every comparable TPV agrees`, () => {
      const logLines = readFileSync(new URL(name, dir), 'utf8').split('\n').filter((l) => l.startsWith('$'));
      const chkLines = readFileSync(new URL(`${name}.chk`, dir), 'utf8').split('\n').filter((l) => l.startsWith('$'));
      // The check file interleaves exactly the log's sentences, so pairing by position is sound.
      expect(chkLines).toEqual(logLines);
      const t = compareLog(name);
      totals.tpv += t.tpv;
      totals.compared += t.compared;
      totals.fix += t.fix;
      totals.noFix += t.noFix;
      console.log(`${name}: ${t.tpv} TPV, ${t.compared} compared (${t.fix} fix, ${t.noFix} no fix), ${t.speed} speeds, ${t.time} times, ${t.alt} altitudes`);
      expect(logLines.length).toBeGreaterThan(0);
      expect(t.mismatches.slice(0, 10)).toEqual([]);
      expect(t.compared).toBeGreaterThan(0);
    });
  }

  it('compared both fixes and no-fix periods across the logs', () => {
    console.log(`all logs: ${totals.compared} of ${totals.tpv} TPV compared (${totals.fix} fix, ${totals.noFix} no fix)`);
    expect(totals.fix).toBeGreaterThan(100);
    expect(totals.noFix).toBeGreaterThan(50);
  });
});
