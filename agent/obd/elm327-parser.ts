/**
 * ELM327 answer parsing (ELM327 data sheet, "Communicating with the ELM327"). Pure: bytes in,
 * one frame per `>` prompt out; each frame classified and its OBD messages reassembled from
 * ISO 15765-2 (CAN) frames. No I/O.
 */

/** Splits the adapter's byte stream at the `>` prompt; chunks may be split anywhere. */
export class Elm327Framer {
  private buf = '';

  /**
   * @param maxFrameChars A frame longer than this without a prompt is garbage and is dropped,
   *   so a babbling adapter cannot grow memory. Default 4096 (a full VIN answer is ~60).
   */
  constructor(private readonly maxFrameChars = 4096) {}

  /** Feeds bytes; returns every complete frame (text before a `>`, prompt excluded). */
  push(chunk: Buffer | string): string[] {
    // The ELM327 may send NUL bytes around a reset; they carry nothing.
    this.buf += (typeof chunk === 'string' ? chunk : chunk.toString('latin1')).replace(/\0/g, '');
    const frames: string[] = [];
    let i: number;
    while ((i = this.buf.indexOf('>')) >= 0) {
      frames.push(this.buf.slice(0, i));
      this.buf = this.buf.slice(i + 1);
    }
    if (this.buf.length > this.maxFrameChars) this.buf = '';
    return frames;
  }

  /** Drops a partial frame (after a reopen or a timeout). */
  reset(): void {
    this.buf = '';
  }
}

/** The adapter's and the bus's error answers (ELM327 data sheet, "Messages and Alerts"). */
export const ELM_ERRORS = {
  'NO DATA': 'no-data',
  'UNABLE TO CONNECT': 'unable-to-connect',
  'CAN ERROR': 'can-error',
  'BUS ERROR': 'bus-error',
  'BUS BUSY': 'bus-busy',
  'BUFFER FULL': 'buffer-full',
  'DATA ERROR': 'data-error',
  'FB ERROR': 'fb-error',
  'STOPPED': 'stopped',
  '?': 'unknown-command',
  'ACT ALERT': 'act-alert',
  'LV RESET': 'lv-reset',
  'LP ALERT': 'lp-alert',
} as const;

export type ElmErrorKind = (typeof ELM_ERRORS)[keyof typeof ELM_ERRORS] | 'bus-init-error' | 'rx-error' | 'error';

/** One classified frame. */
export type Elm327Response =
  | { kind: 'ok'; searching: boolean }
  | { kind: 'data'; searching: boolean; lines: string[] }
  | { kind: 'text'; searching: boolean; text: string }
  | { kind: 'error'; searching: boolean; error: ElmErrorKind; text: string };

const HEX_LINE = /^([0-9A-F]{1,3}:)?[0-9A-F ]+$/;

/** Classifies a bare error line, or undefined if it is not one. */
function errorKind(line: string): ElmErrorKind | undefined {
  const known = (ELM_ERRORS as Record<string, ElmErrorKind>)[line];
  if (known) return known;
  if (/^BUS INIT:?.*ERROR/.test(line)) return 'bus-init-error';
  if (/<RX ERROR/.test(line) || /<DATA ERROR/.test(line)) return 'rx-error';
  if (/^ERR\d+$/.test(line)) return 'error';
  return undefined;
}

const squash = (s: string): string => s.replace(/\s+/g, '').toUpperCase();

/**
 * Classifies a frame. `sent` is the command (without `\r`); when the adapter echoes it (echo
 * left on, or the `ATE0` that turns echo off) the echo line is removed. `SEARCHING...` and
 * `BUS INIT: ...` progress lines are removed and flagged.
 */
export function parseResponse(frame: string, sent?: string): Elm327Response {
  // The ELM327 prints only 7-bit printable ASCII: a line with anything else is line noise.
  let lines = frame.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => l.length > 0 && /^[\x20-\x7e]+$/.test(l));
  if (sent !== undefined && lines.length > 0 && squash(lines[0]!) === squash(sent)) lines = lines.slice(1);
  let searching = false;
  lines = lines.filter((l) => {
    if (/^SEARCHING/.test(l)) return (searching = true), false;
    if (/^BUS INIT:?\s*\.*\s*(OK)?$/.test(l)) return false;
    return true;
  });
  for (const l of lines) {
    const error = errorKind(l);
    if (error) return { kind: 'error', searching, error, text: l };
  }
  if (lines.length === 1 && lines[0] === 'OK') return { kind: 'ok', searching };
  // An AT command's answer is text even when it looks like hex (`ATDPN` answers `A6`).
  const isAt = sent !== undefined && /^\s*AT/i.test(sent);
  if (!isAt && lines.length > 0 && lines.every((l) => HEX_LINE.test(l.toUpperCase()))) {
    return { kind: 'data', searching, lines: lines.map((l) => l.toUpperCase()) };
  }
  return { kind: 'text', searching, text: lines.join('\n') };
}

/** One OBD message from one ECU, reassembled. `header` is set when headers were on. */
export interface ObdMessage {
  header?: string;
  bytes: number[];
}

const toBytes = (hex: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
};

/**
 * Reassembles OBD messages from data lines.
 * - Headers off (`ATH0`): a line is a whole message, except ISO 15765-2 multi-frame answers,
 *   which the ELM327 prints as a byte-count line (`014`) then `0:`, `1:`, ... lines.
 * - Headers on (`ATH1`, CAN): each line is `header PCI data`; 11-bit headers are 3 hex digits
 *   (odd line length), 29-bit ones 8. Single, first and consecutive frames (PCI 0x, 1x, 2x) are
 *   joined per header, so answers from several ECUs stay apart.
 */
export function assembleMessages(lines: readonly string[], headers: boolean): ObdMessage[] {
  return headers ? assembleWithHeaders(lines) : assembleWithoutHeaders(lines);
}

function assembleWithoutHeaders(lines: readonly string[]): ObdMessage[] {
  const out: ObdMessage[] = [];
  const counted: { need: number; bytes: number[] }[] = [];
  let multi: { need: number; bytes: number[] } | undefined;
  for (const raw of lines) {
    const line = raw.replace(/ /g, '');
    const framed = /^([0-9A-F]):(.*)$/.exec(line);
    if (/^[0-9A-F]{3}$/.test(line)) {
      multi = { need: parseInt(line, 16), bytes: [] };
      counted.push(multi);
      out.push({ bytes: multi.bytes });
    } else if (framed && multi) {
      multi.bytes.push(...toBytes(framed[2]!));
    } else {
      multi = undefined;
      out.push({ bytes: toBytes(line) });
    }
  }
  // The last consecutive frame is padded to 7 bytes: trim to the announced length.
  for (const m of counted) m.bytes.splice(m.need);
  return out;
}

function assembleWithHeaders(lines: readonly string[]): ObdMessage[] {
  const byHeader = new Map<string, { need: number; bytes: number[] }>();
  const out: ObdMessage[] = [];
  for (const raw of lines) {
    const line = raw.replace(/ /g, '');
    const hlen = line.length % 2 === 1 ? 3 : 8;
    if (line.length < hlen + 2) continue;
    const header = line.slice(0, hlen);
    const frame = toBytes(line.slice(hlen));
    const pci = frame[0]!;
    const type = pci >> 4;
    if (type === 0) {
      out.push({ header, bytes: frame.slice(1, 1 + (pci & 0x0f)) });
    } else if (type === 1) {
      const need = ((pci & 0x0f) << 8) | (frame[1] ?? 0);
      const msg = { header, bytes: frame.slice(2) };
      byHeader.set(header, { need, bytes: msg.bytes });
      out.push(msg);
    } else if (type === 2) {
      const pending = byHeader.get(header);
      if (pending) pending.bytes.push(...frame.slice(1));
    }
  }
  for (const [, p] of byHeader) p.bytes.splice(p.need);
  return out;
}
