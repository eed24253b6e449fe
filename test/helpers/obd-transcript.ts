/**
 * ELM327 transcript helpers for the OBD tests: a device that replays a transcript's answers to the
 * same commands, a recorder that captures what a device answers per command, and the decoding a
 * driver user does for each kind of command.
 */
import { Elm327, type Elm327Options } from '../../agent/obd/elm327.js';
import { assembleMessages, parseResponse } from '../../agent/obd/elm327-parser.js';
import { decodeDtcs, decodeMode01, decodeSupportBitmap, decodeVin, isSupportBitmapPid, parseVoltage } from '../../agent/obd/pids.js';
import { SimBinding, type SimDevice } from '../../agent/simulator/sim-binding.js';
import type { VehicleState } from '../../agent/simulator/vehicle.js';

export interface TranscriptEntry {
  send: string;
  receive: string;
}

/** A simulated adapter that splits what the driver writes into `\r`-terminated commands. */
abstract class CommandDevice implements SimDevice {
  protected emit: ((d: Buffer) => void) | undefined;
  private input = '';

  attach(emit: (d: Buffer) => void): void {
    this.emit = emit;
  }

  detach(): void {
    this.emit = undefined;
  }

  receive(data: Buffer): void {
    this.input += data.toString('latin1');
    let i: number;
    while ((i = this.input.indexOf('\r')) >= 0) {
      const cmd = this.input.slice(0, i + 1);
      this.input = this.input.slice(i + 1);
      this.answer(cmd);
    }
  }

  protected abstract answer(cmd: string): void;
}

/**
 * Answers each command with the transcript's bytes for it, in transcript order, split into
 * `chunk`-byte pieces (so the driver's framing sees arbitrary splits). A command that is not the
 * next one in the transcript is recorded as a mismatch and answered `?`.
 */
export class TranscriptPlayer extends CommandDevice {
  private next = 0;
  readonly mismatches: string[] = [];

  constructor(private readonly entries: readonly TranscriptEntry[], private readonly chunk = 3) {
    super();
  }

  protected answer(cmd: string): void {
    const entry = this.entries[this.next++];
    const answer = entry && entry.send === cmd ? entry.receive : '?\r\r>';
    if (!entry || entry.send !== cmd) this.mismatches.push(JSON.stringify(cmd));
    for (let o = 0; o < answer.length; o += this.chunk) this.emit?.(Buffer.from(answer.slice(o, o + this.chunk), 'latin1'));
  }
}

/**
 * Answers any command, in any order, with the transcript's first answer to it (headers off), so a
 * driver that asks in its own order still gets the real adapter's bytes. A command the transcript
 * never sent gets `OK` (AT) or `NO DATA` (OBD), as an adapter would for a setting or an
 * unsupported PID.
 */
export class TranscriptLookup extends CommandDevice {
  private readonly answers = new Map<string, string>();

  constructor(entries: readonly TranscriptEntry[]) {
    super();
    for (const e of entries) {
      if (e.send === 'ATH1\r') break;
      if (!this.answers.has(e.send)) this.answers.set(e.send, e.receive);
    }
  }

  protected answer(cmd: string): void {
    const fallback = cmd.startsWith('AT') ? 'OK\r\r>' : 'NO DATA\r\r>';
    this.emit?.(Buffer.from(this.answers.get(cmd) ?? fallback, 'latin1'));
  }
}

/** Wraps a device and records, per command received, every byte it answered. */
export class AnswerRecorder implements SimDevice {
  readonly answers: { send: string; receive: string }[] = [];

  constructor(private readonly inner: SimDevice) {}

  attach(emit: (d: Buffer) => void): void {
    this.inner.attach((d) => {
      const last = this.answers[this.answers.length - 1];
      if (last) last.receive += d.toString('latin1');
      emit(d);
    });
  }

  detach(): void {
    this.inner.detach();
  }

  receive(data: Buffer): void {
    this.answers.push({ send: data.toString('latin1'), receive: '' });
    this.inner.receive(data);
  }

  powerCycle(): void {
    this.inner.powerCycle?.();
  }
}

/** Opens a driver on `device` with no initialisation (the test sends every command itself). */
export async function rawDriver(device: SimDevice, opts: Partial<Elm327Options> = {}): Promise<{ elm: Elm327; binding: SimBinding }> {
  const binding = new SimBinding();
  binding.add('/dev/test-obd', device);
  const elm = new Elm327({ path: '/dev/test-obd', binding, initCommands: [], reopenMinMs: 10, commandTimeoutMs: 1000, ...opts });
  const ready = new Promise<void>((r) => elm.once('ready', () => r()));
  await elm.start();
  await ready;
  return { elm, binding };
}

const isObd = (cmd: string): boolean => /^([0-9A-F]{2})+$/i.test(cmd);

/** What a driver user learns from one command: a decoded value, or the kind of answer. */
export async function decodeThroughDriver(elm: Elm327, send: string): Promise<unknown> {
  const cmd = send.replace(/\r$/, '');
  if (!isObd(cmd)) {
    const r = await elm.command(cmd);
    if (cmd.toUpperCase() === 'ATRV' && r.kind === 'text') return { batteryV: parseVoltage(r.text) };
    return r.kind === 'text' ? { text: r.text } : r.kind === 'error' ? { error: r.error } : { kind: r.kind };
  }
  const q = await elm.query(cmd);
  if (!q.ok) return { error: q.error };
  return decodeMessages(cmd, q.messages.map((m) => m.bytes));
}

/** Decodes an OBD answer's messages for the request `cmd` (mode 01, 03, 09 02). */
export function decodeMessages(cmd: string, messages: number[][]): Record<string, unknown> {
  const mode = parseInt(cmd.slice(0, 2), 16);
  const pid = parseInt(cmd.slice(2, 4), 16);
  if (mode === 0x03) return { dtcs: decodeDtcs(messages) };
  if (mode === 0x09 && pid === 0x02) return { vin: decodeVin(messages) };
  const m = messages.find((b) => b[0] === 0x41 && b[1] === pid);
  if (mode !== 0x01 || !m) return { messages };
  if (isSupportBitmapPid(pid)) return { supported: decodeSupportBitmap(pid, m.slice(2)) };
  const d = decodeMode01(pid, m.slice(2));
  return d ? { [d.key]: d.value } : { messages };
}

/** The vehicle facts a transcript states, to put the simulator in the same state. */
export interface TranscriptFacts {
  supported: Set<number>;
  vin: string | undefined;
  ignition: boolean;
  /** Per entry: the vehicle values its answer states (set before sending it). */
  perEntry: Partial<VehicleState>[];
}

/** Reads a transcript the way a driver would (pure parser + decoders) to learn the vehicle's state. */
export function transcriptFacts(entries: readonly TranscriptEntry[]): TranscriptFacts {
  const facts: TranscriptFacts = { supported: new Set(), vin: undefined, ignition: true, perEntry: [] };
  let headers = false;
  for (const { send, receive } of entries) {
    const cmd = send.replace(/\r$/, '').toUpperCase();
    const r = parseResponse(receive.replace(/>$/, ''), cmd);
    const state: Partial<VehicleState> = {};
    facts.perEntry.push(state);
    if (/^ATH[01]$/.test(cmd) && r.kind === 'ok') headers = cmd === 'ATH1';
    if (cmd === 'ATZ') headers = false;
    if (r.kind === 'error' && r.error === 'unable-to-connect') facts.ignition = false;
    if (cmd === 'ATRV' && r.kind === 'text') state.batteryV = parseVoltage(r.text);
    if (!isObd(cmd) || r.kind !== 'data') continue;
    const decoded = decodeMessages(cmd, assembleMessages(r.lines, headers).map((m) => m.bytes));
    if (Array.isArray(decoded.supported)) (decoded.supported as number[]).forEach((p) => facts.supported.add(p));
    else if (typeof decoded.vin === 'string') facts.vin = decoded.vin;
    else if (Array.isArray(decoded.dtcs)) state.dtcs = decoded.dtcs as string[];
    else if (cmd.startsWith('01')) {
      facts.supported.add(parseInt(cmd.slice(2, 4), 16));
      Object.assign(state, decoded);
    }
  }
  return facts;
}
