/** The ELM327 answer parser: framing at the prompt, classification, echo, headers, multi-frame. */
import { describe, expect, it } from 'vitest';
import { assembleMessages, Elm327Framer, parseResponse } from '../../agent/obd/elm327-parser.js';

describe('Elm327Framer', () => {
  const stream =
    'ATZ\r\r\rELM327 v1.5\r\r>' + 'OK\r\r>' + 'SEARCHING...\r410C1AF8\r\r>' +
    '014\r0: 49020131473147\r1: 4A433534343452\r2: 37323532333637\r\r>' + 'NO DATA\r\r>';
  const expected = [
    'ATZ\r\r\rELM327 v1.5\r\r', 'OK\r\r', 'SEARCHING...\r410C1AF8\r\r',
    '014\r0: 49020131473147\r1: 4A433534343452\r2: 37323532333637\r\r', 'NO DATA\r\r',
  ];

  it('gives the same frames for the stream split at every boundary (and at every pair of them)', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 7) {
        const f = new Elm327Framer();
        const frames = [stream.slice(0, i), stream.slice(i, j), stream.slice(j)].flatMap((c) => f.push(Buffer.from(c, 'latin1')));
        expect(frames).toEqual(expected);
      }
    }
  });

  it('gives the same frames byte by byte', () => {
    const f = new Elm327Framer();
    expect([...stream].flatMap((c) => f.push(c))).toEqual(expected);
  });

  it('drops NUL bytes and bounds a frame that never ends', () => {
    const f = new Elm327Framer(16);
    expect(f.push('\0OK\r\r>')).toEqual(['OK\r\r']);
    expect(f.push('x'.repeat(40))).toEqual([]);
    expect(f.push('OK\r\r>')).toEqual(['OK\r\r']);
  });
});

describe('parseResponse', () => {
  it.each([
    ['NO DATA\r\r', 'no-data'],
    ['SEARCHING...\rUNABLE TO CONNECT\r\r', 'unable-to-connect'],
    ['CAN ERROR\r\r', 'can-error'],
    ['?\r\r', 'unknown-command'],
    ['STOPPED\r\r', 'stopped'],
    ['BUS INIT: ...ERROR\r\r', 'bus-init-error'],
    ['BUS INIT: ERROR\r\r', 'bus-init-error'],
    ['BUS ERROR\r\r', 'bus-error'],
    ['BUS BUSY\r\r', 'bus-busy'],
    ['BUFFER FULL\r\r', 'buffer-full'],
    ['FB ERROR\r\r', 'fb-error'],
    ['DATA ERROR\r\r', 'data-error'],
    ['410C1AF8 <RX ERROR\r\r', 'rx-error'],
    ['LV RESET\r\r', 'lv-reset'],
    ['ERR94\r\r', 'error'],
  ])('%j is the error %s', (frame, error) => {
    const r = parseResponse(frame, '010C');
    expect(r).toMatchObject({ kind: 'error', error });
  });

  it('flags SEARCHING... and removes it', () => {
    expect(parseResponse('SEARCHING...\r4100BE3FA813\r\r', '0100')).toEqual({ kind: 'data', searching: true, lines: ['4100BE3FA813'] });
  });

  it('strips the echo when echo is left on', () => {
    expect(parseResponse('010C\r41 0C 1A F8 \r\r', '010C')).toEqual({ kind: 'data', searching: false, lines: ['41 0C 1A F8'] });
    expect(parseResponse('ATE0\rOK\r\r', 'ATE0')).toEqual({ kind: 'ok', searching: false });
    expect(parseResponse('ATI\rELM327 v1.5\r\r', 'ATI')).toEqual({ kind: 'text', searching: false, text: 'ELM327 v1.5' });
  });

  it('keeps AT answers as text even when they look like hex, and linefeeds do not matter', () => {
    expect(parseResponse('A6\r\n\r\n', 'ATDPN')).toEqual({ kind: 'text', searching: false, text: 'A6' });
    expect(parseResponse('12.6V\r\n\r\n', 'ATRV')).toEqual({ kind: 'text', searching: false, text: '12.6V' });
  });

  it('calls garbage text, not data', () => {
    expect(parseResponse('\x7f#@!zz\r\r', '010C').kind).toBe('text');
  });
});

describe('assembleMessages', () => {
  it('headers off: one message per line, several ECUs apart', () => {
    expect(assembleMessages(['410D37', '410D36'], false)).toEqual([{ bytes: [0x41, 0x0d, 0x37] }, { bytes: [0x41, 0x0d, 0x36] }]);
  });

  it('headers off: ISO 15765 multi-frame with byte count and 0:/1: lines (with or without spaces)', () => {
    const vin = [...Buffer.from('1G1JC5444R7252367', 'latin1')];
    const want = [{ bytes: [0x49, 0x02, 0x01, ...vin] }];
    expect(assembleMessages(['014', '0: 490201314731', '1: 4A433534343452', '2: 37323532333637'], false)).toEqual(want);
    expect(assembleMessages(['014 ', '0: 49 02 01 31 47 31 ', '1: 4A 43 35 34 34 34 52 ', '2: 37 32 35 32 33 36 37 '], false)).toEqual(want);
  });

  it('headers off: trims the padding of the last frame to the byte count', () => {
    expect(assembleMessages(['00A', '0: 43040133D105', '1: 02440420000000'], false)).toEqual([
      { bytes: [0x43, 0x04, 0x01, 0x33, 0xd1, 0x05, 0x02, 0x44, 0x04, 0x20] },
    ]);
  });

  it('headers on: single frames per ECU, 11-bit and 29-bit', () => {
    expect(assembleMessages(['7E804410C41C2', '7E903410D27'], true)).toEqual([
      { header: '7E8', bytes: [0x41, 0x0c, 0x41, 0xc2] },
      { header: '7E9', bytes: [0x41, 0x0d, 0x27] },
    ]);
    expect(assembleMessages(['18 DA F1 10 03 41 0D 27'], true)).toEqual([{ header: '18DAF110', bytes: [0x41, 0x0d, 0x27] }]);
  });

  it('headers on: first and consecutive frames joined per ECU, interleaved', () => {
    const lines = ['7E8 10 14 49 02 01 31 47 31', '7E9 03 41 0D 27', '7E8 21 4A 43 35 34 34 34 52', '7E8 22 37 32 35 32 33 36 37'];
    expect(assembleMessages(lines, true)).toEqual([
      { header: '7E8', bytes: [0x49, 0x02, 0x01, ...Buffer.from('1G1JC5444R7252367', 'latin1')] },
      { header: '7E9', bytes: [0x41, 0x0d, 0x27] },
    ]);
  });
});
