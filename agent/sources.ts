/**
 * What the agent's uplink needs from the vehicle: sources that produce readings. The OBD-II
 * (ELM327) and GNSS readers implement it; so do the simulators, through the same drivers.
 */
import type { EffectiveSettings } from '../protocol/messages.js';

/** One reading, before the agent's queue gives it a stream, seq and epoch. */
export interface Reading {
  /** Source name: `obd`, `gnss`, `dtc`, `status`, ... */
  kind: string;
  /** Values in SI-style units (see README), JSON-serialisable. */
  data: Record<string, unknown>;
}

export type ReadingSink = (reading: Reading) => void;

/** Lifecycle per STYLE.md: the constructor does nothing; start()/stop() do the work. */
export interface ReadingSource {
  /** Opens ports and begins producing readings into `sink`. Never throws for a missing vehicle. */
  start(sink: ReadingSink): Promise<void>;
  /** Applies new effective settings (interval, PIDs, GNSS on/off) without a restart. */
  applySettings(settings: EffectiveSettings): void;
  /** Clears timers, closes ports. */
  stop(): Promise<void>;
}

/** The OBD source also knows the vehicle (VIN, read once per ignition) for `hello`. */
export interface VehicleInfo {
  vin(): string | null;
}

/** A trustworthy UTC time from the GNSS receiver (RMC), for a Pi without a real-time clock. */
export interface TimeHint {
  /** Called with the UTC milliseconds of an RMC sentence with status A and the local monotonic ms. */
  onUtc(cb: (utcMs: number, monotonicMs: number) => void): void;
}
