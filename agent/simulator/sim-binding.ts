/**
 * A serialport binding whose ports are simulated devices, built on @serialport/binding-mock's
 * MockPortBinding: what the host writes goes to the device, what the device says is emitted as
 * received data. Ports can be unplugged (pending reads fail, so serialport closes the port with
 * `disconnected: true`, as a USB adapter pulled out does) and plugged back.
 * Each instance keeps its own ports (unlike MockBinding's global table), so tests do not share.
 */
import { createRequire } from 'node:module';
// Both packages ship types only for `require` (their `exports` has no `types` for `import`), so
// the types are read in require mode and the class is loaded with require, as serialport does.
import type * as BindingMock from '@serialport/binding-mock' with { 'resolution-mode': 'require' };
import type { MockPortInternal } from '@serialport/binding-mock' with { 'resolution-mode': 'require' };
import type { BindingInterface, OpenOptions, PortInfo } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };

const { MockPortBinding } = createRequire(import.meta.url)('@serialport/binding-mock') as typeof BindingMock;
type MockPortBinding = BindingMock.MockPortBinding;

/** A device behind a simulated port (the ELM327, the GNSS receiver). */
export interface SimDevice {
  /** The port was opened: `emit` sends bytes to the host until {@link detach}. */
  attach(emit: (data: Buffer) => void): void;
  /** The port was closed or unplugged. */
  detach(): void;
  /** Bytes the host wrote. */
  receive(data: Buffer): void;
  /** Power was cut (unplugged): forget volatile state. */
  powerCycle?(): void;
}

class SimPortBinding extends MockPortBinding {
  private readonly failReads = new Set<(err: Error) => void>();
  unplugged = false;

  constructor(port: MockPortInternal, opts: Required<OpenOptions>, private readonly device: SimDevice) {
    super(port, opts);
    device.attach((data) => {
      if (this.isOpen && !this.unplugged) this.emitData(data);
    });
  }

  override async write(buffer: Buffer): Promise<void> {
    if (this.unplugged) throw new Error('device not configured (unplugged)');
    await super.write(buffer);
    this.device.receive(Buffer.from(buffer));
  }

  override async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (this.unplugged) throw new Error('device not configured (unplugged)');
    let fail!: (err: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    this.failReads.add(fail);
    try {
      return await Promise.race([super.read(buffer, offset, length), failed]);
    } finally {
      this.failReads.delete(fail); // one per read in flight, so hours of simulation stay flat
    }
  }

  override async close(): Promise<void> {
    this.device.detach();
    await super.close();
  }

  /** Fails pending reads with a non-cancel error: serialport reports a disconnect. */
  unplug(): void {
    this.unplugged = true;
    this.device.detach();
    for (const fail of this.failReads) fail(new Error('device not configured (unplugged)'));
    this.failReads.clear();
  }
}

interface Slot {
  device: SimDevice;
  internal: MockPortInternal;
  present: boolean;
  open?: SimPortBinding;
  /** Open attempts so far, successful or not. */
  attempts: number;
}

/** The binding to pass as `binding` to the drivers. */
export class SimBinding implements BindingInterface<MockPortBinding> {
  private readonly slots = new Map<string, Slot>();

  /** Adds a device at `path` (plugged in). */
  add(path: string, device: SimDevice): void {
    const info: PortInfo = {
      path, manufacturer: 'fleet-agent simulator', serialNumber: String(this.slots.size + 1),
      pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined,
    };
    const internal: MockPortInternal = { data: Buffer.alloc(0), echo: false, record: false, info, maxReadSize: 1024 };
    this.slots.set(path, { device, internal, present: true, attempts: 0 });
  }

  /** Pulls the device out: an open port fails as a real unplug does; opening fails until {@link plug}. */
  unplug(path: string): void {
    const slot = this.slot(path);
    slot.present = false;
    slot.open?.unplug();
    slot.device.powerCycle?.();
  }

  /** Plugs the device back in (powered up fresh). */
  plug(path: string): void {
    this.slot(path).present = true;
  }

  /** How many times the host tried to open `path` (a driver's reopen loop is visible here). */
  openAttempts(path: string): number {
    return this.slots.get(path)?.attempts ?? 0;
  }

  /** Whether the host has the port open now. */
  isOpen(path: string): boolean {
    const open = this.slots.get(path)?.open;
    return Boolean(open?.isOpen && !open.unplugged);
  }

  async list(): Promise<PortInfo[]> {
    return [...this.slots.values()].filter((s) => s.present).map((s) => s.internal.info);
  }

  async open(options: OpenOptions): Promise<MockPortBinding> {
    await new Promise((r) => setImmediate(r));
    const slot = this.slots.get(options.path);
    if (slot) slot.attempts++;
    if (!slot || !slot.present) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
    if (slot.open?.isOpen && !slot.open.unplugged) throw new Error('Error Resource temporarily unavailable Cannot lock port');
    const opts: Required<OpenOptions> = {
      dataBits: 8, lock: true, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false,
      xany: false, hupcl: true, ...options,
    };
    slot.internal.data = Buffer.alloc(0);
    slot.open = new SimPortBinding(slot.internal, opts, slot.device);
    return slot.open;
  }

  private slot(path: string): Slot {
    const slot = this.slots.get(path);
    if (!slot) throw new Error(`no simulated device at ${path}`);
    return slot;
  }
}
