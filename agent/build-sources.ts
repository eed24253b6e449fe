/**
 * Builds the vehicle's reading sources from the configuration: the OBD-II (ELM327) and GNSS
 * readers on their serial ports, or, with AGENT_SIMULATE=1, the same drivers against a simulated
 * vehicle. Owned by main.ts; AgentApp only sees the ReadingSource interface.
 */
import type { Logger } from 'pino';
import { DEFAULT_SETTINGS } from '../protocol/messages.js';
import type { AgentConfig } from './config.js';
import { GnssSource } from './gnss/gnss-source.js';
import { ObdSource } from './obd/obd-source.js';
import { createSimulatedVehicle } from './simulator/index.js';
import type { ReadingSource, TimeHint, VehicleInfo } from './sources.js';

/** The sources, the VIN and GNSS time they offer, and a stop for what is not a source (the simulator). */
export interface BuiltSources {
  sources: ReadingSource[];
  vehicle?: VehicleInfo;
  timeHint?: TimeHint;
  stop(): void;
}

/**
 * The sources start with the registry's default settings; AgentApp applies the held ownership's
 * settings before starting them.
 */
export function buildSources(config: AgentConfig, log: Logger): BuiltSources {
  const settings = DEFAULT_SETTINGS;
  if (config.simulate) {
    const sim = createSimulatedVehicle();
    sim.start();
    const obd = new ObdSource({ path: sim.obdPath, binding: sim.binding, settings, logger: log });
    const gnss = new GnssSource({ path: sim.gnssPath, binding: sim.binding, settings, logger: log });
    log.info({ mod: 'sources' }, 'simulated vehicle: the real OBD and GNSS drivers on simulated ports');
    return { sources: [obd, gnss], vehicle: obd, timeHint: gnss, stop: () => sim.stop() };
  }
  const built: BuiltSources = { sources: [], stop: () => {} };
  if (config.obd.port) {
    const obd = new ObdSource({ path: config.obd.port, baudRate: config.obd.baudRate, settings, logger: log });
    built.sources.push(obd);
    built.vehicle = obd;
  }
  if (config.gnss.port) {
    const gnss = new GnssSource({ path: config.gnss.port, baudRate: config.gnss.baudRate, settings, logger: log });
    built.sources.push(gnss);
    built.timeHint = gnss;
  }
  if (built.sources.length === 0) {
    log.warn({ mod: 'sources' }, 'no AGENT_OBD_PORT or AGENT_GNSS_PORT and AGENT_SIMULATE is not 1: only status readings');
  }
  return built;
}
