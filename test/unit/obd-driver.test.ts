/**
 * The ELM327 driver through serialport and the simulated adapter (a MockPortBinding-based binding):
 * initialisation, each error answer, slow answers, garbage, echo left on, unplug and plug back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Elm327, type Elm327Options } from '../../agent/obd/elm327.js';
import { Elm327Sim, type Elm327SimOptions } from '../../agent/simulator/elm327-sim.js';
import { SimBinding } from '../../agent/simulator/sim-binding.js';
import { SimulatedVehicle } from '../../agent/simulator/vehicle.js';
import { until } from '../helpers/wait.js';

const PATH = '/dev/sim-obd';
const started: Elm327[] = [];

afterEach(async () => {
  for (const e of started.splice(0)) await e.stop();
});

async function setup(driver: Partial<Elm327Options> = {}, sim: Partial<Elm327SimOptions> = {}) {
  const vehicle = new SimulatedVehicle({ initial: { rpm: 1726, speedKmh: 60 } });
  const elm327 = new Elm327Sim({ vehicle, ...sim });
  const binding = new SimBinding();
  binding.add(PATH, elm327);
  const elm = new Elm327({ path: PATH, binding, reopenMinMs: 10, reopenMaxMs: 40, commandTimeoutMs: 500, settleMs: 20, ...driver });
  started.push(elm);
  const ready = new Promise<void>((r) => elm.once('ready', () => r()));
  await elm.start();
  await ready;
  return { vehicle, elm327, binding, elm };
}

const rpmOf = async (elm: Elm327): Promise<unknown> => {
  const r = await elm.query('010C');
  return r.ok ? ((r.messages[0]!.bytes[2]! * 256 + r.messages[0]!.bytes[3]!) / 4) : r.error;
};

describe('Elm327 driver', () => {
  it('initialises with ATZ, ATE0, ATL0, ATS0, ATH0, ATSP0 and answers requests', async () => {
    const { elm327, elm } = await setup();
    expect(elm327.received.slice(0, 6)).toEqual(['ATZ', 'ATE0', 'ATL0', 'ATS0', 'ATH0', 'ATSP0']);
    expect(elm.ready).toBe(true);
    const first = await elm.query('0100');
    expect(first).toMatchObject({ ok: true, searching: true });
    expect(await rpmOf(elm)).toBe(1726);
  });

  it.each([
    [['NO DATA'], 'no-data'],
    [['UNABLE TO CONNECT'], 'unable-to-connect'],
    [['CAN ERROR'], 'can-error'],
    [['BUS INIT: ...ERROR'], 'bus-init-error'],
    [['?'], 'unknown-command'],
    [['STOPPED'], 'stopped'],
    [['BUFFER FULL'], 'buffer-full'],
  ])('reports %j as %s and carries on', async (lines, error) => {
    const { elm327, elm } = await setup();
    elm327.injectAnswer(...lines);
    expect(await elm.query('010C')).toMatchObject({ ok: false, error });
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('times out a slow answer, interrupts it, and the next answer is not the stale one', async () => {
    const { vehicle, elm327, elm } = await setup({ commandTimeoutMs: 60 });
    elm327.answerDelayMs = 400;
    expect(await elm.query('010C')).toEqual({ ok: false, error: 'timeout' });
    elm327.answerDelayMs = 0;
    vehicle.set({ rpm: 3000 });
    expect(await rpmOf(elm)).toBe(3000);
    // The driver sent a space to stop the adapter (it ignores spaces as a command).
    expect(elm327.received.at(-1)).toBe('010C');
  });

  it('an answer slower than usual but within the timeout is fine', async () => {
    const { elm327, elm } = await setup({ commandTimeoutMs: 300 });
    elm327.answerDelayMs = 50;
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('skips line noise between answers and calls a garbage answer garbage', async () => {
    const { elm327, elm } = await setup();
    elm327.sendRaw(Buffer.from([0x00, 0xff, 0x23, 0x0d]));
    expect(await rpmOf(elm)).toBe(1726);
    elm327.injectAnswer('#\x7f%&zz');
    expect(await elm.query('010C')).toMatchObject({ ok: false, error: 'garbage' });
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('decodes with echo left on, and with spaces and headers on', async () => {
    const { elm, elm327 } = await setup();
    expect(await elm.command('ATE1')).toEqual({ kind: 'ok', searching: false });
    expect(await rpmOf(elm)).toBe(1726);
    await elm.command('ATS1');
    await elm.command('ATH1');
    const r = await elm.query('0902');
    expect(r).toMatchObject({ ok: true, messages: [{ header: '7E8', bytes: [0x49, 0x02, 0x01, ...Buffer.from('YS3SMLTD0R1000042')] }] });
    expect(elm327.received).toContain('ATH1');
  });

  it('reports an unplugged adapter as disconnected and initialises it again when plugged back', async () => {
    const { elm327, binding, elm } = await setup();
    const disconnected = new Promise<void>((r) => elm.once('disconnected', () => r()));
    binding.unplug(PATH);
    await disconnected;
    expect(elm.ready).toBe(false);
    expect(await elm.query('010C')).toEqual({ ok: false, error: 'disconnected' });
    await expect(elm.command('ATI')).rejects.toMatchObject({ disconnected: true });
    const resets = elm327.received.filter((c) => c === 'ATZ').length;
    const ready = new Promise<void>((r) => elm.once('ready', () => r()));
    binding.plug(PATH);
    await ready;
    expect(elm327.received.filter((c) => c === 'ATZ').length).toBe(resets + 1);
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('fails a command in flight when the adapter is pulled out mid-answer', async () => {
    const { elm327, binding, elm } = await setup({ commandTimeoutMs: 5000 });
    elm327.answerDelayMs = 1000;
    const inFlight = elm.command('010C');
    await until(() => elm327.received.at(-1) === '010C', 2000, 'request sent');
    binding.unplug(PATH);
    await expect(inFlight).rejects.toMatchObject({ disconnected: true, timeout: false });
  });

  it('reopens an adapter that stopped answering after repeated timeouts', async () => {
    const { elm327, binding, elm } = await setup({ commandTimeoutMs: 40, maxTimeouts: 2, resetTimeoutMs: 40 });
    elm327.mute = true;
    expect(await elm.query('010C')).toEqual({ ok: false, error: 'timeout' });
    expect(await elm.query('010C')).toEqual({ ok: false, error: 'timeout' });
    await until(() => !elm.ready, 2000, 'driver gives up on the port');
    const ready = new Promise<void>((r) => elm.once('ready', () => r()));
    elm327.mute = false;
    await ready;
    expect(binding.isOpen(PATH)).toBe(true);
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('works with a clone that refuses some initialisation commands', async () => {
    const { elm327, elm } = await setup({}, { unknownAt: ['L0', 'S0'] });
    expect(elm327.received.slice(0, 6)).toEqual(['ATZ', 'ATE0', 'ATL0', 'ATS0', 'ATH0', 'ATSP0']);
    expect(elm.ready).toBe(true);
    expect(await rpmOf(elm)).toBe(1726);
  });

  it('refuses a device that is not an ELM327 and keeps trying', async () => {
    const binding = new SimBinding();
    const device = new Elm327Sim({ vehicle: new SimulatedVehicle(), version: 'GPS receiver' });
    binding.add(PATH, device);
    const other = new Elm327({ path: PATH, binding, reopenMinMs: 5, reopenMaxMs: 10 });
    started.push(other);
    await other.start();
    await until(() => device.received.filter((c) => c === 'ATZ').length >= 3, 5000, 'three attempts');
    expect(other.ready).toBe(false);
    expect(device.received).not.toContain('ATE0');
  });

  it('keeps retrying while no adapter is plugged in, without throwing', async () => {
    const binding = new SimBinding();
    const vehicle = new SimulatedVehicle();
    binding.add(PATH, new Elm327Sim({ vehicle }));
    binding.unplug(PATH);
    const elm = new Elm327({ path: PATH, binding, reopenMinMs: 5, reopenMaxMs: 20 });
    started.push(elm);
    await elm.start();
    await until(() => binding.openAttempts(PATH) >= 4, 5000, 'four open attempts');
    expect(elm.ready).toBe(false);
    const ready = new Promise<void>((r) => elm.once('ready', () => r()));
    binding.plug(PATH);
    await ready;
    expect(elm.ready).toBe(true);
  });

  it('backs off exponentially up to the cap between reopen attempts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const binding = new SimBinding();
      binding.add(PATH, new Elm327Sim({ vehicle: new SimulatedVehicle() }));
      binding.unplug(PATH);
      const elm = new Elm327({ path: PATH, binding, reopenMinMs: 100, reopenMaxMs: 400 });
      started.push(elm);
      await elm.start();
      const settle = async () => {
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      };
      await settle();
      const seen: number[] = [binding.openAttempts(PATH)];
      // Delays 100, 200, 400, 400 (capped): step in 100 ms and note when each attempt happens.
      for (let t = 100; t <= 1100; t += 100) {
        await vi.advanceTimersByTimeAsync(100);
        await settle();
        seen.push(binding.openAttempts(PATH));
      }
      expect(seen).toEqual([1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5]);
    } finally {
      vi.useRealTimers();
    }
  });
});
