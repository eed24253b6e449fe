/**
 * The simulated vehicle for `AGENT_SIMULATE=1` and tests: a vehicle model, an ELM327 and a GNSS
 * receiver on simulated serial ports. The real drivers run against them unchanged:
 *
 * ```ts
 * const sim = createSimulatedVehicle();
 * sim.start();
 * const obd = new ObdSource({ path: sim.obdPath, binding: sim.binding, settings });
 * const gnss = new GnssSource({ path: sim.gnssPath, binding: sim.binding, settings });
 * ```
 */
import { Elm327Sim, type Elm327SimOptions } from './elm327-sim.js';
import { GnssSim } from './gnss-sim.js';
import { SimBinding } from './sim-binding.js';
import { SimulatedVehicle, type VehicleOptions } from './vehicle.js';

export { Elm327Sim, type Elm327SimOptions } from './elm327-sim.js';
export { fixSentences, GnssSim, type GnssSimOptions } from './gnss-sim.js';
export { SimBinding, type SimDevice } from './sim-binding.js';
export { SimulatedVehicle, type RoutePoint, type VehicleOptions, type VehicleState } from './vehicle.js';

/** Options of {@link createSimulatedVehicle}; every one has a default. */
export interface SimulatedVehicleOptions {
  /** The vehicle model (route, drive cycle, initial values). */
  vehicle?: VehicleOptions;
  /** The adapter (VIN, supported PIDs, delays); `vehicle` is supplied. */
  elm327?: Omit<Elm327SimOptions, 'vehicle'>;
  /** Path of the simulated ELM327 port. Default `/dev/sim-obd`. */
  obdPath?: string;
  /** Path of the simulated GNSS port. Default `/dev/sim-gnss`. */
  gnssPath?: string;
  /** How often the vehicle model advances, ms. Default 1000. */
  tickMs?: number;
  /** GNSS period, ms. Default 1000 (1 Hz). */
  gnssPeriodMs?: number;
  /**
   * Drive the ignition: ms with the ignition on, then ms off, repeating. Default: always on.
   * Shows the agent's ignition-off handling in a demo.
   */
  ignitionCycleMs?: { on: number; off: number };
  /** Clock, ms (UTC of the simulated GNSS). Default Date.now. */
  now?: () => number;
}

/** What {@link createSimulatedVehicle} returns. */
export interface SimulatedVehicleHandle {
  /** The serialport binding to pass to ObdSource and GnssSource. */
  binding: SimBinding;
  obdPath: string;
  gnssPath: string;
  vehicle: SimulatedVehicle;
  elm327: Elm327Sim;
  gnss: GnssSim;
  /** Starts advancing the vehicle model (the ports answer without it). */
  start(): void;
  /** Stops the model's timer. */
  stop(): void;
}

/** Builds the simulated vehicle; nothing runs until `start()`. */
export function createSimulatedVehicle(opts: SimulatedVehicleOptions = {}): SimulatedVehicleHandle {
  const now = opts.now ?? Date.now;
  const vehicle = new SimulatedVehicle(opts.vehicle);
  const elm327 = new Elm327Sim({ ...opts.elm327, vehicle });
  const gnss = new GnssSim({ vehicle, now, periodMs: opts.gnssPeriodMs ?? 1000 });
  const binding = new SimBinding();
  const obdPath = opts.obdPath ?? '/dev/sim-obd';
  const gnssPath = opts.gnssPath ?? '/dev/sim-gnss';
  binding.add(obdPath, elm327);
  binding.add(gnssPath, gnss);
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  let phaseStart = 0;
  const tick = (): void => {
    const t = now();
    const cycle = opts.ignitionCycleMs;
    if (cycle) {
      const on = vehicle.state().ignition;
      if (t - phaseStart >= (on ? cycle.on : cycle.off)) {
        vehicle.setIgnition(!on);
        phaseStart = t;
      }
    }
    vehicle.advance(t - last);
    last = t;
  };
  return {
    binding, obdPath, gnssPath, vehicle, elm327, gnss,
    start() {
      last = phaseStart = now();
      clearInterval(timer);
      timer = setInterval(tick, opts.tickMs ?? 1000);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
