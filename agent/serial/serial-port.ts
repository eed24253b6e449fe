/**
 * The serial port both drivers (ELM327 and GNSS) open: serialport 13's `SerialPortStream` with a
 * binding. This is what `new SerialPort()` of the `serialport` package is, minus what the agent
 * does not use: that package's index loads the native platform binding and eleven parsers as
 * soon as it is imported. Here the platform binding (@serialport/bindings-cpp) is loaded only
 * when a real port is opened, so the simulated vehicle and the tests never load it, and no
 * parser is loaded at all (the drivers frame their own bytes).
 */
import { createRequire } from 'node:module';
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type * as Stream from '@serialport/stream' with { 'resolution-mode': 'require' };

export type SerialPortStream = Stream.SerialPortStream;

/** Options of {@link createSerialPort}. */
export interface SerialPortOptions {
  path: string;
  baudRate: number;
  /** serialport binding. Default: the platform binding (@serialport/bindings-cpp's autoDetect). */
  binding?: BindingInterface;
  /**
   * Size of each read, and of the read buffer pool a new one is cut from, bytes. Default 4096:
   * an ELM327 answer or an NMEA sentence is under 100 bytes and 9600 baud is 960 bytes a second,
   * so serialport's default of 64 KiB per port only keeps memory busy.
   */
  readBufferBytes?: number;
}

// The packages the `serialport` package itself uses, resolved from where it is installed.
const fromSerialport = createRequire(createRequire(import.meta.url).resolve('serialport'));
let platformBinding: BindingInterface | undefined;

/** A closed port (`autoOpen: false`); open it with `port.open(cb)`. */
export function createSerialPort(opts: SerialPortOptions): SerialPortStream {
  const { SerialPortStream } = fromSerialport('@serialport/stream') as typeof Stream;
  const binding = opts.binding ?? (platformBinding ??= loadPlatformBinding());
  return new SerialPortStream({
    path: opts.path,
    baudRate: opts.baudRate,
    binding,
    autoOpen: false,
    highWaterMark: opts.readBufferBytes ?? 4096,
  });
}

function loadPlatformBinding(): BindingInterface {
  const { autoDetect } = fromSerialport('@serialport/bindings-cpp') as { autoDetect(): BindingInterface };
  return autoDetect();
}
