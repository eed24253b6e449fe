/**
 * What the serial drivers keep in memory (issue 6: the agent's RSS under 80 MB and flat): a
 * simulated vehicle loads neither serialport's native platform binding nor its parsers, and
 * adapters pulled out and plugged back many times leave no timers behind.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { GnssSource } from '../../agent/gnss/gnss-source.js';
import { ObdSource } from '../../agent/obd/obd-source.js';
import type { Reading } from '../../agent/sources.js';
import { createSimulatedVehicle } from '../../agent/simulator/index.js';
import { DEFAULT_SETTINGS } from '../../protocol/messages.js';
import { until } from '../helpers/wait.js';

const SETTINGS = { ...DEFAULT_SETTINGS, telemetryIntervalMs: 20 };
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function drive() {
  const sim = createSimulatedVehicle({ tickMs: 20, gnssPeriodMs: 20 });
  sim.start();
  stops.push(() => sim.stop());
  const readings: Reading[] = [];
  const obd = new ObdSource({ path: sim.obdPath, binding: sim.binding, settings: SETTINGS, driver: { reopenMinMs: 5, reopenMaxMs: 20 } });
  const gnss = new GnssSource({ path: sim.gnssPath, binding: sim.binding, settings: SETTINGS, reader: { reopenMinMs: 5, reopenMaxMs: 20 } });
  for (const src of [obd, gnss]) {
    await src.start((r) => readings.push(r));
    stops.push(() => src.stop());
  }
  /** Waits for fresh readings of both kinds (the OBD one with the engine answering). */
  const flowing = async (what: string) => {
    const from = readings.length;
    const fresh = () => readings.slice(from);
    await until(() => fresh().some((r) => r.kind === 'obd' && r.data.ignition === 'on') && fresh().some((r) => r.kind === 'gnss' && r.data.fix === true), 10_000, what);
  };
  return { sim, readings, flowing };
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('serial drivers memory', () => {
  it('a simulated vehicle loads neither the native platform binding nor serialport parsers', async () => {
    const { flowing } = await drive();
    await flowing('readings');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((p) => /@serialport[\\/]stream[\\/]/.test(p))).not.toHaveLength(0); // the check sees node_modules
    expect(loaded.filter((p) => /@serialport[\\/](bindings-cpp|parser-)|[\\/]serialport[\\/]dist[\\/]/.test(p))).toEqual([]);
  });

  it('20 unplug and plug-back cycles of both ports leave no timers behind', async () => {
    const { sim, flowing } = await drive();
    const cycle = async (i: number) => {
      sim.binding.unplug(sim.obdPath);
      sim.binding.unplug(sim.gnssPath);
      await until(() => !sim.binding.isOpen(sim.obdPath) && !sim.binding.isOpen(sim.gnssPath), 5_000, `unplugged ${i}`);
      sim.binding.plug(sim.obdPath);
      sim.binding.plug(sim.gnssPath);
      await flowing(`readings after plug ${i}`);
    };
    await flowing('first readings');
    await cycle(0);
    const after1 = timers();
    for (let i = 1; i < 20; i++) await cycle(i);
    // One poll timer, one report timer, the simulator's timers and a command timeout or two in
    // flight: the count moves by a few between samples, never by one per cycle.
    expect(timers()).toBeLessThanOrEqual(after1 + 3);
  });
});
