/**
 * A simulated ELM327 v1.5 (ELM327 data sheet) in front of a simulated vehicle on ISO 15765-4
 * CAN 11-bit 500 kbit/s (protocol 6): echo on after reset, `SEARCHING...` before the first OBD
 * answer after `ATSP0`, spaces and headers as set, `\r\r>` after every answer, `?` for what it
 * does not understand, ISO 15765-2 multi-frame answers (byte-count line then `0:`, `1:` ...).
 * With the ignition off it answers as an adapter does on a silent bus: the first search ends in
 * `UNABLE TO CONNECT`, later requests in `NO DATA`. Attach it to a port with {@link SimBinding}.
 */
import { encodeDtc, encodeSupportBitmap, MODE01_PIDS } from '../obd/pids.js';
import type { SimDevice } from './sim-binding.js';
import type { SimulatedVehicle, VehicleState } from './vehicle.js';

/** Options of {@link Elm327Sim}. */
export interface Elm327SimOptions {
  vehicle: SimulatedVehicle;
  /** VIN answered to `0902` (17 characters). Default `YS3SMLTD0R1000042` (made up). */
  vin?: string;
  /** Mode 01 PIDs the engine ECU supports; the support bitmaps are derived. Default: every PID of pids.ts. */
  supportedPids?: Iterable<number>;
  /** Identification answered to `ATZ`/`ATI`. Default `ELM327 v1.5`. */
  version?: string;
  /** Delay between `SEARCHING...` and the rest of the answer, ms. Default 0. */
  searchDelayMs?: number;
  /** Delay before every answer, ms (a slow bus). Default 0. */
  answerDelayMs?: number;
  /** AT commands this clone does not know, answered `?` (e.g. `['L0']`). Default none. */
  unknownAt?: string[];
  /** A second ECU (transmission, 7E9) that also answers `0100` and `010D` (1 km/h higher). Default false. */
  secondEcu?: boolean;
}

interface Flags {
  echo: boolean;
  linefeeds: boolean;
  spaces: boolean;
  headers: boolean;
  protocolAuto: boolean;
  /** none: no search yet since reset/ATSP; found: bus answered; failed: search gave up. */
  search: 'none' | 'found' | 'failed';
}

const RESET_FLAGS: Flags = { echo: true, linefeeds: false, spaces: true, headers: false, protocolAuto: true, search: 'none' };

/** An answer: lines printed before the prompt; `searching` prints `SEARCHING...` first. */
interface Answer {
  lines: string[];
  searching?: boolean;
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');
const VALUE_KEYS = new Map([...MODE01_PIDS.values()].map((s) => [s.pid, s.key as keyof VehicleState]));

/** The simulated adapter. The constructor only assigns. */
export class Elm327Sim implements SimDevice {
  /** Answer delay, ms; tests change it to simulate a slow bus. */
  answerDelayMs: number;
  /** When set, every answer is dropped (an adapter that hangs). */
  mute = false;
  private flags: Flags = { ...RESET_FLAGS };
  private emit: ((data: Buffer) => void) | undefined;
  private input = '';
  private last = '';
  private pending: NodeJS.Timeout | undefined;
  private readonly injected: string[][] = [];
  private readonly supported: Set<number>;
  /** The last 500 commands received (without `\r`), for tests; bounded so a long simulation stays flat. */
  readonly received: string[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly opts: Elm327SimOptions) {
    this.answerDelayMs = opts.answerDelayMs ?? 0;
    this.supported = withBitmaps(new Set(opts.supportedPids ?? MODE01_PIDS.keys()));
  }

  attach(emit: (data: Buffer) => void): void {
    this.emit = emit;
  }

  detach(): void {
    this.emit = undefined;
    this.cancelPending();
  }

  powerCycle(): void {
    this.flags = { ...RESET_FLAGS };
    this.input = '';
    this.cancelPending();
  }

  /** How many times `cmd` (upper case, no spaces) was received since construction. */
  commandCount(cmd: string): number {
    return this.counts.get(cmd) ?? 0;
  }

  /** Answers the next OBD request(s) with these lines instead (e.g. `['CAN ERROR']`). */
  injectAnswer(...lines: string[]): void {
    this.injected.push(lines);
  }

  /** Sends raw bytes now (line noise). */
  sendRaw(data: string | Buffer): void {
    this.emit?.(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1'));
  }

  receive(data: Buffer): void {
    // Any character while an answer is in progress interrupts it (data sheet: "STOPPED").
    if (this.pending) {
      this.cancelPending();
      this.write(`STOPPED${this.eol()}${this.eol()}>`);
      return;
    }
    this.input += data.toString('latin1');
    let i: number;
    while ((i = this.input.indexOf('\r')) >= 0) {
      const raw = this.input.slice(0, i).replace(/\n/g, '');
      this.input = this.input.slice(i + 1);
      this.handle(raw);
    }
  }

  private handle(raw: string): void {
    const cmd = raw.replace(/\s/g, '').toUpperCase() || this.last;
    if (!cmd) return;
    this.last = cmd;
    this.received.push(cmd);
    if (this.received.length > 500) this.received.splice(0, this.received.length - 500);
    this.counts.set(cmd, (this.counts.get(cmd) ?? 0) + 1);
    const echo = this.flags.echo ? raw + this.eol() : '';
    const answer = this.answer(cmd);
    if (this.mute) return;
    const eol = this.eol();
    const body = answer.lines.map((l) => l + eol).join('') + eol + '>';
    const searching = answer.searching ? `SEARCHING...${eol}` : '';
    const delay = this.answerDelayMs + (answer.searching ? (this.opts.searchDelayMs ?? 0) : 0);
    if (delay <= 0) {
      this.write(echo + searching + body);
      return;
    }
    this.write(echo + searching);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.write(body);
    }, delay);
  }

  private answer(cmd: string): Answer {
    if (cmd.startsWith('AT')) return { lines: this.opts.unknownAt?.includes(cmd.slice(2)) ? ['?'] : this.at(cmd.slice(2)) };
    if (!/^([0-9A-F]{2})+$/.test(cmd)) return { lines: ['?'] };
    const injected = this.injected.shift();
    if (injected) return { lines: injected };
    return this.obd(cmd);
  }

  /** AT commands (ELM327 data sheet, "AT Command Summary"). */
  private at(c: string): string[] {
    const version = this.opts.version ?? 'ELM327 v1.5';
    const f = this.flags;
    const flag = (m: RegExpExecArray | null, key: 'echo' | 'linefeeds' | 'spaces' | 'headers'): string[] => {
      f[key] = m![1] === '1';
      return ['OK'];
    };
    let m: RegExpExecArray | null;
    if (c === 'Z') {
      this.powerCycle(); // a reset prints two blank lines, then the identification
      return ['', '', version];
    }
    if (c === 'WS' || c === 'D') {
      // Warm start keeps the protocol; defaults keep echo. Both restore spaces on, headers off.
      this.flags = c === 'WS' ? { ...RESET_FLAGS, protocolAuto: f.protocolAuto } : { ...RESET_FLAGS, echo: f.echo };
      return c === 'WS' ? ['', version] : ['OK'];
    }
    if (c === 'I') return [version];
    if (c === '@1') return ['OBDII to RS232 Interpreter'];
    if ((m = /^E([01])$/.exec(c))) return flag(m, 'echo');
    if ((m = /^L([01])$/.exec(c))) return flag(m, 'linefeeds');
    if ((m = /^S([01])$/.exec(c))) return flag(m, 'spaces');
    if ((m = /^H([01])$/.exec(c))) return flag(m, 'headers');
    if ((m = /^(?:SP|TP)(A?)([0-9A-C])$/.exec(c))) {
      f.protocolAuto = m[2] === '0' || m[1] === 'A';
      f.search = 'none';
      return ['OK'];
    }
    if (c === 'DPN') return [`${f.protocolAuto ? 'A' : ''}6`];
    if (c === 'DP') return [`${f.protocolAuto ? 'AUTO, ' : ''}ISO 15765-4 (CAN 11/500)`];
    if (c === 'RV') return [`${this.opts.vehicle.state().batteryV.toFixed(1)}V`];
    if (/^(ST[0-9A-F]{2}|AT[0-2]|CAF[01]|M[01]|R[01]|PC|AL|NL|SH[0-9A-F]{3}|SH[0-9A-F]{6}|AR|CRA[0-9A-F]*)$/.test(c)) return ['OK'];
    return ['?'];
  }

  /** OBD requests: mode 01 current data, 03 stored DTCs, 04 clear, 09 vehicle information. */
  private obd(cmd: string): Answer {
    const v = this.opts.vehicle.state();
    const firstSearch = this.flags.protocolAuto && this.flags.search !== 'found';
    if (!v.ignition) {
      const searching = this.flags.protocolAuto && this.flags.search === 'none';
      if (searching) this.flags.search = 'failed';
      return { lines: [searching ? 'UNABLE TO CONNECT' : 'NO DATA'], searching };
    }
    this.flags.search = 'found';
    const bytes = cmd.match(/../g)!.map((h) => parseInt(h, 16));
    const messages = this.respond(bytes, v);
    if (messages.length === 0) return { lines: ['NO DATA'], searching: firstSearch };
    return { lines: messages.flatMap(([ecu, msg]) => this.frames(ecu, msg)), searching: firstSearch };
  }

  /** The messages of each ECU (0 = engine 7E8, 1 = transmission 7E9) for a request. */
  private respond(req: number[], v: VehicleState): [number, number[]][] {
    const [mode, pid] = req;
    if (mode === 0x01 && pid !== undefined && req.length === 2) {
      const out: [number, number[]][] = [];
      const data = this.mode01(pid, v);
      if (data) out.push([0, [0x41, pid, ...data]]);
      if (this.opts.secondEcu && (pid === 0x00 || pid === 0x0d)) {
        // The transmission's own speed sensor reads 1 km/h apart, so tests can tell the ECUs apart.
        out.push([1, [0x41, pid, ...(pid === 0 ? encodeSupportBitmap(0, new Set([0x0d])) : [Math.min(255, Math.round(v.speedKmh) + 1)])]]);
      }
      return out;
    }
    if (mode === 0x03 && req.length === 1) {
      return [[0, [0x43, v.dtcs.length, ...v.dtcs.flatMap((c) => encodeDtc(c))]]];
    }
    if (mode === 0x04 && req.length === 1) {
      this.opts.vehicle.set({ dtcs: [] });
      return [[0, [0x44]]];
    }
    if (mode === 0x09 && pid === 0x02 && req.length === 2) {
      const vin = this.opts.vin ?? 'YS3SMLTD0R1000042';
      return [[0, [0x49, 0x02, 0x01, ...Buffer.from(vin, 'latin1')]]];
    }
    if (mode === 0x09 && pid === 0x00 && req.length === 2) return [[0, [0x49, 0x00, ...encodeSupportBitmap(0, new Set([0x02]))]]];
    return [];
  }

  private mode01(pid: number, v: VehicleState): number[] | undefined {
    if (!this.supported.has(pid) && pid !== 0) return undefined;
    if (pid % 0x20 === 0) return encodeSupportBitmap(pid, this.supported);
    const spec = MODE01_PIDS.get(pid);
    const key = VALUE_KEYS.get(pid);
    if (!spec || !key) return undefined;
    return spec.encode(v[key] as number);
  }

  /** Prints one message as the adapter does: ISO 15765-2 frames, with or without headers. */
  private frames(ecu: number, msg: number[]): string[] {
    const sp = this.flags.spaces;
    const bytes = (b: number[]): string => b.map((x) => hex2(x) + (sp ? ' ' : '')).join('');
    const header = this.flags.headers ? `7E${8 + ecu}${sp ? ' ' : ''}` : '';
    if (msg.length <= 7) return [header + bytes(this.flags.headers ? [msg.length, ...msg] : msg)];
    const chunks: number[][] = [msg.slice(0, 6)];
    for (let i = 6; i < msg.length; i += 7) chunks.push(msg.slice(i, i + 7));
    const last = chunks[chunks.length - 1]!;
    while (last.length < 7 && chunks.length > 1) last.push(0);
    if (this.flags.headers) {
      return chunks.map((c, i) =>
        header + bytes(i === 0 ? [0x10 | (msg.length >> 8), msg.length & 0xff, ...c] : [0x20 | (i & 0xf), ...c]));
    }
    const count = msg.length.toString(16).toUpperCase().padStart(3, '0') + (sp ? ' ' : '');
    return [count, ...chunks.map((c, i) => `${(i & 0xf).toString(16).toUpperCase()}: ${bytes(c)}`)];
  }

  private eol(): string {
    return this.flags.linefeeds ? '\r\n' : '\r';
  }

  private write(text: string): void {
    this.emit?.(Buffer.from(text, 'latin1'));
  }

  private cancelPending(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
  }
}

/** Adds the support-bitmap PIDs (0x20, 0x40, ...) a supported set needs to be discoverable. */
function withBitmaps(pids: Set<number>): Set<number> {
  const out = new Set(pids);
  for (const p of pids) for (let base = 0x20; base < p; base += 0x20) out.add(base);
  return out;
}
