/**
 * The port lifecycle shared by the ELM327 and GNSS drivers, through serialport and MockBinding:
 * a missing device is retried with doubling, capped delays; a lost port is reported and reopened;
 * the driver decides when the backoff starts over; stop() leaves nothing scheduled.
 */
import type * as BindingMock from '@serialport/binding-mock' with { 'resolution-mode': 'require' };
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PortKeeper, type PortKeeperHandlers } from '../../agent/serial/port-keeper.js';
import type { SerialPortStream } from '../../agent/serial/serial-port.js';

// The package's ESM build ships no types; its CommonJS build does (as in agent/simulator/sim-binding.ts).
const { MockBinding } = createRequire(import.meta.url)('@serialport/binding-mock') as typeof BindingMock;
const PATH = '/dev/keeper-test';
const keepers: PortKeeper[] = [];
let opens = 0;
// Counts open attempts, found or not.
const binding: typeof MockBinding = { ...MockBinding, open: (o) => (opens++, MockBinding.open(o)) };

beforeEach(() => {
  opens = 0;
  // Only the reopen timer is faked: MockBinding answers on process.nextTick, which stays real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(async () => {
  for (const k of keepers.splice(0)) await k.stop();
  vi.useRealTimers();
  MockBinding.reset();
});

/** Lets the open/close callbacks (nextTick and promise chains) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function keeper(handlers: Partial<PortKeeperHandlers> = {}) {
  const seen = { opened: [] as SerialPortStream[], closed: 0 };
  const k = new PortKeeper(
    { path: PATH, baudRate: 9600, binding, reopenMinMs: 100, reopenMaxMs: 400, device: 'test device', logger: pino({ level: 'silent' }) },
    {
      opened: (port) => void (seen.opened.push(port), handlers.opened?.(port)),
      closed: () => void (seen.closed++, handlers.closed?.()),
    },
  );
  keepers.push(k);
  return { k, seen };
}

/** Expects no open attempt until `delayMs` has passed, then exactly one. */
async function expectReopenAfter(delayMs: number): Promise<void> {
  const before = opens;
  await vi.advanceTimersByTimeAsync(delayMs - 1);
  await settle();
  expect(opens, `no attempt before ${delayMs} ms`).toBe(before);
  await vi.advanceTimersByTimeAsync(1);
  await settle();
  expect(opens, `an attempt at ${delayMs} ms`).toBe(before + 1);
}

describe('PortKeeper', () => {
  it('does nothing until started, then retries a missing device with doubling delays up to the cap', async () => {
    const { k, seen } = keeper();
    await settle();
    expect(opens).toBe(0);
    k.start();
    await settle();
    expect(opens).toBe(1);
    for (const delay of [100, 200, 400, 400]) await expectReopenAfter(delay);
    expect(seen.opened).toHaveLength(0);
    expect(k.port).toBeUndefined();
  });

  it('hands the open port to the driver, reports its loss and reopens it', async () => {
    MockBinding.createPort(PATH);
    const { k, seen } = keeper({ opened: () => k.resetBackoff() });
    k.start();
    await settle();
    expect(seen.opened).toHaveLength(1);
    expect(k.port?.isOpen).toBe(true);
    k.close();
    await settle();
    expect(seen.closed).toBe(1);
    expect(k.port).toBeUndefined();
    await expectReopenAfter(100);
    expect(seen.opened).toHaveLength(2);
    // The driver said the device works, so the next loss starts from the first delay again.
    k.close();
    await settle();
    await expectReopenAfter(100);
  });

  it('keeps backing off a device that opens but never counts as working', async () => {
    MockBinding.createPort(PATH);
    const { k, seen } = keeper(); // like an ELM327 that opens and then fails its initialisation
    k.start();
    await settle();
    for (const delay of [100, 200, 400]) {
      k.close();
      await settle();
      await expectReopenAfter(delay);
    }
    expect(seen.opened).toHaveLength(4);
    expect(seen.closed).toBe(3);
  });

  it('stop() closes the port without reporting a loss and schedules nothing', async () => {
    MockBinding.createPort(PATH);
    const { k, seen } = keeper();
    k.start();
    await settle();
    const port = k.port;
    await k.stop();
    expect(port?.isOpen).toBe(false);
    expect(seen.closed).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(opens).toBe(1);
  });

  it('stop() cancels a pending reopen of a missing device', async () => {
    const { k } = keeper();
    k.start();
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    await k.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(opens).toBe(1);
  });
});
