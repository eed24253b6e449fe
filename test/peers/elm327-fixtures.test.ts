/**
 * The simulated ELM327 against transcripts of a real one (fixtures/elm327, an ELM327 v1.5 as
 * emulated by a widely used emulator on a serial port):
 * 1. exact bytes: sent the transcript's commands in order from reset, with the simulated vehicle
 *    put into the state each answer states (values decoded from the transcript at test time:
 *    supported PIDs, VIN, DTCs, ignition, and per command the PID value), the simulator answers
 *    byte for byte what the transcript received;
 * 2. same values: the driver, fed the transcript's bytes by a player and the simulator's bytes,
 *    decodes the same thing from every answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Elm327 } from '../../agent/obd/elm327.js';
import { Elm327Sim } from '../../agent/simulator/elm327-sim.js';
import { SimulatedVehicle } from '../../agent/simulator/vehicle.js';
import {
  AnswerRecorder, decodeThroughDriver, rawDriver, TranscriptPlayer, transcriptFacts, type TranscriptEntry,
} from '../helpers/obd-transcript.js';

const dir = new URL('../../../shared/fixtures/elm327/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (f: string): TranscriptEntry[] => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as TranscriptEntry[];

const drivers: Elm327[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

/** Runs the transcript's commands against a simulator in the transcript's state. */
async function runSimulator(entries: TranscriptEntry[]): Promise<{ answers: string[]; decoded: unknown[] }> {
  const facts = transcriptFacts(entries);
  const vehicle = new SimulatedVehicle({ initial: { ignition: facts.ignition } });
  const sim = new Elm327Sim({ vehicle, supportedPids: facts.supported, ...(facts.vin ? { vin: facts.vin } : {}) });
  const recorder = new AnswerRecorder(sim);
  const { elm } = await rawDriver(recorder);
  drivers.push(elm);
  const decoded: unknown[] = [];
  for (const [i, entry] of entries.entries()) {
    vehicle.set(facts.perEntry[i]!);
    decoded.push(await decodeThroughDriver(elm, entry.send));
  }
  return { answers: recorder.answers.map((a) => a.receive), decoded };
}

async function runPlayer(entries: TranscriptEntry[]): Promise<{ decoded: unknown[]; mismatches: string[] }> {
  const player = new TranscriptPlayer(entries);
  const { elm } = await rawDriver(player);
  drivers.push(elm);
  const decoded: unknown[] = [];
  for (const entry of entries) decoded.push(await decodeThroughDriver(elm, entry.send));
  return { decoded, mismatches: player.mismatches };
}

describe('simulated ELM327 against real transcripts', () => {
  it('finds the transcripts', () => {
    expect(files).toEqual(expect.arrayContaining(['car-echo-on.json', 'car-init.json', 'engineoff.json']));
  });

  for (const file of files) {
    it(`${file}: the simulator answers the exact bytes to the same commands`, async () => {
      const entries = load(file);
      const { answers } = await runSimulator(entries);
      const pairs = entries.map((e, i) => ({ send: e.send, receive: answers[i] }));
      expect(pairs).toEqual(entries);
      console.log(`${file}: ${entries.length} of ${entries.length} answers byte-identical`);
    });

    it(`${file}: the driver decodes the same values from the transcript as from the simulator`, async () => {
      const entries = load(file);
      const real = await runPlayer(entries);
      const simulated = await runSimulator(entries);
      expect(real.mismatches).toEqual([]);
      expect(simulated.decoded).toEqual(real.decoded);
      // The decoding must have found something real in each transcript, not only errors.
      expect(real.decoded.some((d) => typeof d === 'object' && d !== null && !('error' in d))).toBe(true);
      console.log(`${file}: decoded`, JSON.stringify(real.decoded));
    });
  }
});
