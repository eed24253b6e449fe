/** The console's paste box and the reading of a refused bulk "Process" (pure modules of cloud/web). */
import { describe, expect, it } from 'vitest';
import { offenceMap, readOffences } from '../../cloud/web/src/assign-errors.js';
import { splitPaste, toAssignIds } from '../../cloud/web/src/paste.js';

const UUID = '0b7f9c3e-5d1a-4f4e-9a51-3f2b8f0e6c11';

describe('splitPaste', () => {
  it.each([
    ['one per line', 'aaaaaaaaaaaa\nbbbbbbbbbbbb\n', ['aaaaaaaaaaaa', 'bbbbbbbbbbbb']],
    ['commas and spaces', 'aaaaaaaaaaaa, bbbbbbbbbbbb cccccccccccc', ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc']],
    ['CRLF, tabs, blank lines, quotes', '"aaaaaaaaaaaa"\r\n\r\n\tbbbbbbbbbbbb;', ['aaaaaaaaaaaa', 'bbbbbbbbbbbb']],
    ['nothing', ' \n , ', []],
  ])('%s', (_name, text, expected) => {
    expect(splitPaste(text).map((e) => e.text)).toEqual(expected);
  });

  it('keeps the line of each entry and tells device ids (UUIDs) from unit ids', () => {
    const entries = splitPaste(`aaaaaaaaaaaa\n${UUID.toUpperCase()}, bbbbbbbbbbbb`);
    expect(entries).toEqual([
      { text: 'aaaaaaaaaaaa', kind: 'unitId', line: 1 },
      { text: UUID.toUpperCase(), kind: 'deviceId', line: 2 },
      { text: 'bbbbbbbbbbbb', kind: 'unitId', line: 2 },
    ]);
    expect(toAssignIds(entries)).toEqual({ deviceIds: [UUID.toUpperCase()], unitIds: ['aaaaaaaaaaaa', 'bbbbbbbbbbbb'] });
    expect(toAssignIds([])).toEqual({});
  });
});

describe('readOffences', () => {
  it('reads entries and reasons whatever the field names, in words', () => {
    const offences = readOffences([
      { field: 'unitIds', entry: 'FFFFFFFFFFFF', reason: 'unknown' },
      { value: 'aaaaaaaaaaaa', problem: 'duplicate' },
      { deviceId: UUID, message: 'something else' },
      { field: 'accountId' },
    ]);
    expect(offences).toEqual([
      { entry: 'FFFFFFFFFFFF', reason: 'unknown, or not visible to you' },
      { entry: 'aaaaaaaaaaaa', reason: 'listed more than once' },
      { entry: UUID, reason: 'something else' },
    ]);
    expect(offenceMap(offences).get('ffffffffffff')).toBe('unknown, or not visible to you');
  });

  it('reads an object of lists and plain strings; nothing from nonsense', () => {
    expect(readOffences({ unknown: ['aaaaaaaaaaaa'] })).toEqual([{ entry: 'aaaaaaaaaaaa', reason: 'unknown, or not visible to you' }]);
    expect(readOffences(undefined)).toEqual([]);
    expect(readOffences(42)).toEqual([]);
  });
});
