/**
 * The OBD source over the simulated vehicle: readings in units, ignition off as a state with a
 * slow retry, VIN once per ignition-on, DTCs on ignition-on and on change, settings, unplug.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ObdSource, type ObdSourceOptions } from '../../agent/obd/obd-source.js';
import type { Reading } from '../../agent/sources.js';
import { createSimulatedVehicle } from '../../agent/simulator/index.js';
import type { VehicleState } from '../../agent/simulator/vehicle.js';
import { DEFAULT_SETTINGS } from '../../protocol/messages.js';
import { until } from '../helpers/wait.js';

const sources: ObdSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});

const FAST = { ...DEFAULT_SETTINGS, telemetryIntervalMs: 20 };

async function setup(initial: Partial<VehicleState> = {}, opts: Partial<ObdSourceOptions> = {}) {
  const sim = createSimulatedVehicle({ vehicle: { initial } });
  const readings: Reading[] = [];
  const source = new ObdSource({
    path: sim.obdPath, binding: sim.binding, settings: FAST, ignitionOffRetryMs: 60_000, dtcIntervalMs: 60_000,
    driver: { reopenMinMs: 10, reopenMaxMs: 40 }, ...opts,
  });
  sources.push(source);
  await source.start((r) => readings.push(r));
  const of = (kind: string) => readings.filter((r) => r.kind === kind).map((r) => r.data);
  return { sim, source, readings, of };
}

describe('ObdSource', () => {
  it('emits obd readings in the documented units, a dtc reading, and knows the VIN', async () => {
    const { of, source } = await setup({
      rpm: 1726, speedKmh: 60, coolantTempC: 83, engineLoadPct: 50.2, throttlePct: 20, fuelLevelPct: 75.3,
      moduleVoltageV: 12.5, batteryV: 12.4,
    });
    await until(() => of('obd').length >= 2, 5000, 'two obd readings');
    expect(of('obd')[0]).toEqual({
      ignition: 'on', rpm: 1726, speedKmh: 60, coolantTempC: 83, engineLoadPct: 50.2, throttlePct: 20,
      fuelLevelPct: 75.3, moduleVoltageV: 12.5, batteryV: 12.4,
    });
    expect(of('dtc')).toEqual([{ codes: [], count: 0 }]);
    expect(source.vin()).toBe('YS3SMLTD0R1000042');
    expect(source.ignitionState()).toBe('on');
  });

  it('polls only the enabled PIDs that the vehicle supports, and follows new settings', async () => {
    const sim = createSimulatedVehicle({ elm327: { supportedPids: [0x0c, 0x0d, 0x05] } });
    const readings: Reading[] = [];
    const source = new ObdSource({
      path: sim.obdPath, binding: sim.binding, settings: { ...FAST, obdPids: ['0C', '2F'] }, driver: { reopenMinMs: 10 },
    });
    sources.push(source);
    await source.start((r) => readings.push(r));
    await until(() => readings.some((r) => r.kind === 'obd'), 5000, 'a reading');
    expect(Object.keys(readings.find((r) => r.kind === 'obd')!.data).sort()).toEqual(['batteryV', 'ignition', 'rpm']);
    expect(sim.elm327.received).not.toContain('012F');
    source.applySettings({ ...FAST, obdPids: ['0D'] });
    await until(() => readings.some((r) => 'speedKmh' in r.data), 5000, 'speed after the settings change');
    expect(readings.at(-1)!.data).not.toHaveProperty('rpm');
  });

  it('still follows the ignition with no PID enabled', async () => {
    const { sim, of } = await setup({ batteryV: 14 }, { settings: { ...FAST, obdPids: [] } });
    await until(() => of('obd').length >= 1, 5000, 'a reading');
    expect(of('obd')[0]).toEqual({ ignition: 'on', batteryV: 14 });
    sim.vehicle.setIgnition(false);
    await until(() => of('obd').at(-1)?.ignition === 'off', 5000, 'ignition off');
  });

  it('treats ignition off as a state: reports it with the battery voltage and retries slowly', async () => {
    const { sim, of, source } = await setup({}, { ignitionOffRetryMs: 60_000 });
    await until(() => of('obd').length >= 1, 5000, 'a reading');
    sim.vehicle.setIgnition(false);
    await until(() => of('obd').some((d) => d.ignition === 'off'), 5000, 'ignition off');
    const probes = sim.elm327.commandCount('0100');
    const offBefore = of('obd').filter((d) => d.ignition === 'off').length;
    await until(() => of('obd').filter((d) => d.ignition === 'off').length >= offBefore + 5, 5000, 'five more readings');
    expect(of('obd').filter((d) => d.ignition === 'off').at(-1)).toEqual({ ignition: 'off', batteryV: 12.6 });
    // No probe of the bus per cycle: the retry is slow.
    expect(sim.elm327.commandCount('0100')).toBe(probes);
    expect(source.ignitionState()).toBe('off');
  });

  it('starts with the ignition off (UNABLE TO CONNECT) and picks up ignition on: VIN and DTCs read again', async () => {
    let clock = 1_000_000;
    const { sim, of, source } = await setup({ ignition: false, batteryV: 12.3 }, { ignitionOffRetryMs: 30_000, now: () => clock });
    await until(() => of('obd').length >= 1, 5000, 'a reading');
    expect(of('obd')[0]).toEqual({ ignition: 'off', batteryV: 12.3 });
    expect(source.vin()).toBeNull();
    expect(of('dtc')).toEqual([]);
    sim.vehicle.set({ dtcs: ['P0133'] });
    // Ignition on but the battery not charging (engine not started): until the retry is due the
    // source keeps reporting off, without asking the bus.
    sim.vehicle.set({ ignition: true });
    const probes = sim.elm327.commandCount('0100');
    const seen = of('obd').length;
    await until(() => of('obd').length >= seen + 3, 5000, 'more readings');
    expect(of('obd').at(-1)).toEqual({ ignition: 'off', batteryV: 12.3 });
    expect(sim.elm327.commandCount('0100')).toBe(probes);
    clock += 30_000;
    await until(() => of('obd').some((d) => d.ignition === 'on'), 5000, 'ignition on');
    expect(source.vin()).toBe('YS3SMLTD0R1000042');
    expect(of('dtc')).toEqual([{ codes: ['P0133'], count: 1 }]);
    // A second ignition cycle reads the VIN again (once per ignition-on).
    const vinReads = sim.elm327.commandCount('0902');
    sim.vehicle.setIgnition(false);
    await until(() => of('obd').at(-1)?.ignition === 'off', 5000, 'off again');
    // The engine starts: the battery rises to charging voltage and the bus is probed at once,
    // long before the 30 s retry (the injected clock does not move).
    sim.vehicle.setIgnition(true);
    await until(() => of('obd').at(-1)?.ignition === 'on', 5000, 'on again');
    expect(sim.elm327.commandCount('0902')).toBe(vinReads + 1);
    expect(of('dtc')).toHaveLength(2);
  });

  it('reports DTCs again only when they change', async () => {
    const { sim, of } = await setup({}, { dtcIntervalMs: 0 });
    await until(() => sim.elm327.commandCount('03') >= 3, 5000, 'several DTC reads');
    expect(of('dtc')).toEqual([{ codes: [], count: 0 }]);
    sim.vehicle.set({ dtcs: ['U1105', 'P0133', 'C0123'] });
    await until(() => of('dtc').length === 2, 5000, 'changed DTCs');
    // Three codes need an ISO 15765 multi-frame answer; sorted for a stable comparison.
    expect(of('dtc')[1]).toEqual({ codes: ['C0123', 'P0133', 'U1105'], count: 3 });
    const reads = sim.elm327.commandCount('03');
    await until(() => sim.elm327.commandCount('03') >= reads + 3, 5000, 'more DTC reads');
    expect(of('dtc')).toHaveLength(2);
  });

  it('stops reading while the adapter is unplugged and resumes when it is plugged back', async () => {
    const { sim, of } = await setup();
    await until(() => of('obd').length >= 1, 5000, 'a reading');
    sim.binding.unplug(sim.obdPath);
    await until(() => !sim.binding.isOpen(sim.obdPath), 5000, 'port closed');
    const before = of('obd').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(of('obd').length).toBeLessThanOrEqual(before + 1);
    sim.binding.plug(sim.obdPath);
    await until(() => of('obd').length >= before + 3, 5000, 'readings again');
    expect(of('obd').at(-1)).toMatchObject({ ignition: 'on' });
  });

  it('reads speed from the engine ECU when two ECUs answer', async () => {
    const sim = createSimulatedVehicle({ elm327: { secondEcu: true }, vehicle: { initial: { speedKmh: 42 } } });
    const readings: Reading[] = [];
    const source = new ObdSource({ path: sim.obdPath, binding: sim.binding, settings: { ...FAST, obdPids: ['0D'] } });
    sources.push(source);
    await source.start((r) => readings.push(r));
    await until(() => readings.some((r) => r.kind === 'obd'), 5000, 'a reading');
    expect(readings.find((r) => r.kind === 'obd')!.data).toMatchObject({ speedKmh: 42 });
  });
});
