/**
 * The GNSS source over the simulated receiver (a MockPortBinding-based binding): readings at the
 * settings interval, no-fix periods reported, `gnss: false` honoured, UTC hints, bad sentences
 * counted, unplug and plug back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GnssSource } from '../../agent/gnss/gnss-source.js';
import type { Reading } from '../../agent/sources.js';
import { createSimulatedVehicle } from '../../agent/simulator/index.js';
import { DEFAULT_SETTINGS } from '../../protocol/messages.js';
import { until } from '../helpers/wait.js';

const SETTINGS = { ...DEFAULT_SETTINGS, telemetryIntervalMs: 20 };
const UTC = Date.UTC(2025, 5, 1, 8, 30, 0);
const sources: GnssSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});

async function setup(settings = SETTINGS) {
  let mono = 1000;
  // The receiver sends only when told (periodMs 0), so the test decides what it says.
  const sim = createSimulatedVehicle({ gnssPeriodMs: 0, now: () => UTC, vehicle: { initial: { lat: 55.5, lon: 12.25, speedKmh: 36, headingDeg: 90 } } });
  const readings: Reading[] = [];
  const source = new GnssSource({
    path: sim.gnssPath, binding: sim.binding, settings, monotonicNow: () => mono, staleMs: 5000, reader: { reopenMinMs: 10 },
  });
  sources.push(source);
  const utc: [number, number][] = [];
  source.onUtc((u, m) => utc.push([u, m]));
  await source.start((r) => readings.push(r));
  const gnss = () => readings.filter((r) => r.kind === 'gnss').map((r) => r.data);
  const tick = (ms: number) => (mono += ms);
  return { sim, source, readings, gnss, utc, tick };
}

describe('GnssSource', () => {
  it('reports the latest fix at the interval, with the documented keys and units', async () => {
    const { sim, gnss, utc } = await setup();
    await until(() => sim.binding.isOpen(sim.gnssPath), 5000, 'port open');
    sim.gnss.sendFix();
    await until(() => gnss().some((d) => d.fix === true), 5000, 'a fix');
    const d = gnss().find((x) => x.fix === true)!;
    expect(d).toMatchObject({ fix: true, quality: 1, satellites: 9, hdop: 0.9, altitudeM: 12, headingDeg: 90, utcMs: UTC });
    expect(d.lat as number).toBeCloseTo(55.5, 6);
    expect(d.lon as number).toBeCloseTo(12.25, 6);
    expect(d.speedMps as number).toBeCloseTo(10, 3);
    expect(utc).toEqual([[UTC, 1000]]);
  });

  it('reports no fix before any sentence, while the receiver has none, and when it falls silent', async () => {
    const { sim, gnss, tick, utc } = await setup();
    await until(() => gnss().length >= 1, 5000, 'a reading');
    expect(gnss()[0]).toEqual({ fix: false });
    await until(() => sim.binding.isOpen(sim.gnssPath), 5000, 'port open');
    sim.vehicle.set({ gnssFix: false });
    sim.gnss.sendFix();
    await until(() => gnss().some((d) => d.satellites === 0), 5000, 'a no-fix reading');
    expect(gnss().at(-1)).toEqual({ fix: false, satellites: 0 });
    expect(utc).toEqual([]); // status V gives no trustworthy time
    sim.vehicle.set({ gnssFix: true });
    sim.gnss.sendFix();
    await until(() => gnss().at(-1)?.fix === true, 5000, 'fix again');
    tick(6000); // nothing heard for longer than staleMs
    await until(() => gnss().at(-1)?.fix === false, 5000, 'stale');
  });

  it('counts bad sentences and keeps going', async () => {
    const { sim, source, gnss } = await setup();
    await until(() => sim.binding.isOpen(sim.gnssPath), 5000, 'port open');
    sim.gnss.sendRaw('$GNRMC,083000.00,A,5530.00000,N,01215.00000,E,0,0,010625,,,A*00\r\n\xff\xfe noise\r\n');
    sim.gnss.sendFix();
    await until(() => gnss().some((d) => d.fix === true), 5000, 'a fix');
    expect(source.badSentences()).toBe(2);
  });

  it('emits nothing and closes the receiver while settings.gnss is false, and resumes when set', async () => {
    const { sim, source, gnss } = await setup({ ...SETTINGS, gnss: false });
    await new Promise((r) => setTimeout(r, 80));
    expect(gnss()).toEqual([]);
    expect(sim.binding.isOpen(sim.gnssPath)).toBe(false);
    source.applySettings({ ...SETTINGS, gnss: true });
    await until(() => gnss().length > 0, 5000, 'readings');
    source.applySettings({ ...SETTINGS, gnss: false });
    await until(() => !sim.binding.isOpen(sim.gnssPath), 5000, 'closed');
    const n = gnss().length;
    await new Promise((r) => setTimeout(r, 80));
    expect(gnss().length).toBe(n);
  });

  it('reopens the receiver after it is unplugged and plugged back', async () => {
    const { sim, gnss } = await setup();
    await until(() => sim.binding.isOpen(sim.gnssPath), 5000, 'port open');
    sim.binding.unplug(sim.gnssPath);
    await until(() => !sim.binding.isOpen(sim.gnssPath), 5000, 'port gone');
    sim.binding.plug(sim.gnssPath);
    await until(() => sim.binding.isOpen(sim.gnssPath), 5000, 'port back');
    sim.gnss.sendFix();
    await until(() => gnss().at(-1)?.fix === true, 5000, 'a fix after replug');
  });
});
