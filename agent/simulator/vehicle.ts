/**
 * A small vehicle model for the simulator: ignition, a repeating drive cycle (accelerate,
 * cruise, brake, stand still), engine values that follow it, and a position that moves along a
 * closed route. Time is injected: the model only changes when {@link SimulatedVehicle.advance}
 * is called, so tests are deterministic.
 */

/** Everything the simulated ELM327 and GNSS read from the vehicle. */
export interface VehicleState {
  ignition: boolean;
  rpm: number;
  speedKmh: number;
  coolantTempC: number;
  engineLoadPct: number;
  throttlePct: number;
  fuelLevelPct: number;
  intakeTempC: number;
  ambientTempC: number;
  runTimeS: number;
  /** Control-module voltage (PID 42), volts. */
  moduleVoltageV: number;
  /** Battery voltage at the OBD connector (ATRV), volts. */
  batteryV: number;
  /** Stored trouble codes (mode 03), e.g. `P0133`. */
  dtcs: string[];
  /** Whether the GNSS receiver has a fix. */
  gnssFix: boolean;
  lat: number;
  lon: number;
  headingDeg: number;
  altitudeM: number;
  satellites: number;
  hdop: number;
}

/** A point of the route, decimal degrees. */
export interface RoutePoint {
  lat: number;
  lon: number;
}

/** Options of {@link SimulatedVehicle}. */
export interface VehicleOptions {
  /** Closed route driven in a loop. Default: a small loop in Copenhagen. */
  route?: RoutePoint[];
  /** Length of one drive cycle (accelerate, cruise, brake, stop), ms. Default 120 000. */
  cycleMs?: number;
  /** Cruise speed, km/h. Default 60. */
  cruiseKmh?: number;
  /** Initial values, e.g. `{ ignition: false }` or `{ dtcs: ['P0133'] }`. */
  initial?: Partial<VehicleState>;
}

const DEFAULT_ROUTE: RoutePoint[] = [
  { lat: 55.6761, lon: 12.5683 },
  { lat: 55.6805, lon: 12.5722 },
  { lat: 55.6838, lon: 12.5863 },
  { lat: 55.6771, lon: 12.5921 },
  { lat: 55.6712, lon: 12.5790 },
];

const EARTH_M = 6_371_000;
const rad = (d: number): number => (d * Math.PI) / 180;

/** Great-circle distance (haversine), metres. */
export function distanceM(a: RoutePoint, b: RoutePoint): number {
  const dLat = rad(b.lat - a.lat), dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.sqrt(h));
}

function bearingDeg(a: RoutePoint, b: RoutePoint): number {
  const y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** The simulated vehicle. The constructor only assigns; nothing runs by itself. */
export class SimulatedVehicle {
  private readonly route: RoutePoint[];
  private readonly cycleMs: number;
  private readonly cruiseKmh: number;
  private s: VehicleState;
  private cycleAt = 0;
  private leg = 0;
  private legM = 0;

  constructor(opts: VehicleOptions = {}) {
    this.route = opts.route && opts.route.length >= 2 ? opts.route : DEFAULT_ROUTE;
    this.cycleMs = opts.cycleMs ?? 120_000;
    this.cruiseKmh = opts.cruiseKmh ?? 60;
    const start = this.route[0]!;
    this.s = {
      ignition: true, rpm: 800, speedKmh: 0, coolantTempC: 20, engineLoadPct: 20, throttlePct: 15,
      fuelLevelPct: 70, intakeTempC: 20, ambientTempC: 15, runTimeS: 0, moduleVoltageV: 14.2,
      batteryV: 14.1, dtcs: [], gnssFix: true, lat: start.lat, lon: start.lon,
      headingDeg: bearingDeg(start, this.route[1]!), altitudeM: 12, satellites: 9, hdop: 0.9,
      ...opts.initial,
    };
  }

  /** A copy of the current state. */
  state(): VehicleState {
    return { ...this.s, dtcs: [...this.s.dtcs] };
  }

  /** Overrides values (tests, and the fixture replay's `fromTranscriptState`). */
  set(values: Partial<VehicleState>): void {
    this.s = { ...this.s, ...values };
  }

  /** Turns the ignition on or off; off stops the engine and drops to the resting battery voltage. */
  setIgnition(on: boolean): void {
    this.s = on
      ? { ...this.s, ignition: true, rpm: 800, batteryV: 14.1, moduleVoltageV: 14.2 }
      : { ...this.s, ignition: false, rpm: 0, speedKmh: 0, engineLoadPct: 0, throttlePct: 0, batteryV: 12.6, runTimeS: 0 };
  }

  /** Advances the model by `dtMs`: the drive cycle, engine values and position. */
  advance(dtMs: number): void {
    if (!this.s.ignition || dtMs <= 0) return;
    this.cycleAt = (this.cycleAt + dtMs) % this.cycleMs;
    const speedKmh = this.profileKmh(this.cycleAt / this.cycleMs);
    const accel = speedKmh - this.s.speedKmh;
    const rpm = speedKmh < 1 ? 800 : 900 + speedKmh * 32;
    this.s = {
      ...this.s,
      speedKmh, rpm,
      throttlePct: Math.max(0, Math.min(100, 15 + speedKmh / 3 + accel * 4)),
      engineLoadPct: Math.max(0, Math.min(100, 20 + speedKmh / 2 + accel * 6)),
      coolantTempC: Math.min(90, this.s.coolantTempC + dtMs / 6000),
      fuelLevelPct: Math.max(0, this.s.fuelLevelPct - (speedKmh * dtMs) / 3.6e9),
      runTimeS: this.s.runTimeS + dtMs / 1000,
    };
    this.move((speedKmh / 3.6) * (dtMs / 1000));
  }

  /** Speed over one cycle: 20 % accelerate, 50 % cruise, 15 % brake, 15 % stand still. */
  private profileKmh(phase: number): number {
    if (phase < 0.2) return (this.cruiseKmh * phase) / 0.2;
    if (phase < 0.7) return this.cruiseKmh;
    if (phase < 0.85) return (this.cruiseKmh * (0.85 - phase)) / 0.15;
    return 0;
  }

  private move(metres: number): void {
    let left = metres;
    for (let guard = 0; guard < this.route.length * 2 && left > 0; guard++) {
      const a = this.route[this.leg]!, b = this.route[(this.leg + 1) % this.route.length]!;
      const len = distanceM(a, b);
      if (this.legM + left < len) {
        this.legM += left;
        left = 0;
        const f = this.legM / len;
        this.s.lat = a.lat + (b.lat - a.lat) * f;
        this.s.lon = a.lon + (b.lon - a.lon) * f;
        this.s.headingDeg = bearingDeg(a, b);
      } else {
        left -= len - this.legM;
        this.legM = 0;
        this.leg = (this.leg + 1) % this.route.length;
        this.s.lat = b.lat;
        this.s.lon = b.lon;
      }
    }
  }
}
