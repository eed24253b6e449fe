/**
 * A simulated GNSS receiver: once per period (1 Hz by default, like most receivers) it sends an
 * RMC and a GGA sentence (NMEA 0183, with checksums) for the vehicle's position, or their no-fix
 * forms while the vehicle has no fix. Attach it to a port with {@link SimBinding}.
 */
import { buildSentence } from '../gnss/nmea-parser.js';
import type { SimDevice } from './sim-binding.js';
import type { SimulatedVehicle, VehicleState } from './vehicle.js';

/** Options of {@link GnssSim}. */
export interface GnssSimOptions {
  vehicle: SimulatedVehicle;
  /** UTC clock, ms. Default Date.now. */
  now?: () => number;
  /** Period between fixes, ms. Default 1000. 0 sends only on {@link GnssSim.sendFix}. */
  periodMs?: number;
  /** Talker id. Default `GN` (multi-constellation). */
  talker?: string;
}

const pad = (n: number, w: number): string => String(Math.floor(n)).padStart(w, '0');

/** `ddmm.mmmmm` / `dddmm.mmmmm` and hemisphere (NMEA 0183 latitude/longitude fields). */
function coord(value: number, degDigits: number, pos: string, neg: string): [string, string] {
  const abs = Math.abs(value);
  let deg = Math.floor(abs);
  let min = Number(((abs - deg) * 60).toFixed(5));
  if (min >= 60) (deg += 1), (min -= 60);
  return [pad(deg, degDigits) + min.toFixed(5).padStart(8, '0'), value < 0 ? neg : pos];
}

/** The RMC and GGA sentences of one epoch (exported for tests and the demo). */
export function fixSentences(v: VehicleState, utcMs: number, talker = 'GN'): string[] {
  const d = new Date(utcMs);
  const time = `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds() / 10, 2)}`;
  const date = `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
  if (!v.gnssFix) {
    return [
      buildSentence(`${talker}RMC,${time},V,,,,,,,${date},,,N`),
      buildSentence(`${talker}GGA,${time},,,,,0,00,99.99,,,,,,`),
    ];
  }
  const [lat, ns] = coord(v.lat, 2, 'N', 'S');
  const [lon, ew] = coord(v.lon, 3, 'E', 'W');
  const knots = (v.speedKmh / 1.852).toFixed(3);
  return [
    buildSentence(`${talker}RMC,${time},A,${lat},${ns},${lon},${ew},${knots},${v.headingDeg.toFixed(2)},${date},,,A`),
    buildSentence(
      `${talker}GGA,${time},${lat},${ns},${lon},${ew},1,${pad(v.satellites, 2)},${v.hdop.toFixed(2)},${v.altitudeM.toFixed(1)},M,40.0,M,,`,
    ),
  ];
}

/** The simulated receiver. The constructor only assigns; sending starts when the port opens. */
export class GnssSim implements SimDevice {
  private emit: ((data: Buffer) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GnssSimOptions) {}

  attach(emit: (data: Buffer) => void): void {
    this.emit = emit;
    const period = this.opts.periodMs ?? 1000;
    if (period > 0) this.timer = setInterval(() => this.sendFix(), period);
  }

  detach(): void {
    this.emit = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  receive(): void {
    // Receivers are configured by proprietary sentences; this one ignores what it is sent.
  }

  /** Sends the current epoch's sentences now. */
  sendFix(): void {
    const utc = (this.opts.now ?? Date.now)();
    this.sendRaw(fixSentences(this.opts.vehicle.state(), utc, this.opts.talker).map((s) => `${s}\r\n`).join(''));
  }

  /** Sends raw bytes (noise, bad checksums) now. */
  sendRaw(data: string): void {
    this.emit?.(Buffer.from(data, 'latin1'));
  }
}
