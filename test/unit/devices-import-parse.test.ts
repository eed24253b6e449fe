/**
 * The pure parts of device import and secrets: the CSV reader (RFC 4180 quoting, CRLF, BOM, blank
 * lines), per-row checks, and device-secret hashes that services/secrets.ts `verifySecret` reads.
 */
import { describe, expect, it } from 'vitest';
import { checkRows, parseCsv, splitCsv } from '../../cloud/services/device-import.js';
import { DEVICE_DUMMY_HASH, hashDeviceSecret, hashDeviceSecrets } from '../../cloud/services/device-secrets.js';
import { newSecret, verifySecret } from '../../cloud/services/secrets.js';

describe('splitCsv', () => {
  it.each([
    ['a,b\n1,2', [['a', 'b'], ['1', '2']]],
    ['a,b\r\n1,2\r\n', [['a', 'b'], ['1', '2']]],
    ['a\n\n\nb\n', [['a'], ['b']]],
    ['"x, y","say ""hi"""\n', [['x, y', 'say "hi"']]],
    ['"line\nbreak",z', [['line\nbreak', 'z']]],
    ['a,,c', [['a', '', 'c']]],
    [' "q" ,b', [['q ', 'b']]],
  ])('%j', (text, records) => {
    expect(splitCsv(text)).toEqual(records);
  });
});

describe('parseCsv and checkRows', () => {
  it('reads columns by the header, in any order, with a BOM', () => {
    const { rows, errors } = parseCsv('\uFEFFname,unitId\nVan,AABBCCDDEEFF\n,001122334455');
    expect(errors).toEqual([]);
    expect(rows).toEqual([{ name: 'Van', unitId: 'AABBCCDDEEFF' }, { unitId: '001122334455' }]);
    expect(checkRows(rows)).toEqual({ rows: [{ row: 1, name: 'Van', unitId: 'aabbccddeeff' }, { row: 2, unitId: '001122334455' }], errors: [] });
  });

  it('refuses a header without unitId or with unknown columns', () => {
    expect(parseCsv('unit,name\nx,y').errors).toEqual([
      { row: 0, field: 'unit', message: 'unknown column; the header is unitId,name,accountId' },
      { row: 0, field: 'unitId', message: 'the header must name the unitId column' },
    ]);
    expect(parseCsv('').errors).toHaveLength(1);
  });

  it('lists every bad row: extra fields, bad unit ids, repeats, bad names, unknown keys', () => {
    const { rows, errors } = parseCsv('unitId,name\n001122334455,a,extra\nzz,b\n001122334455,c');
    expect(errors).toEqual([{ row: 1, field: 'row', message: '3 fields, the header has 2' }]);
    const checked = checkRows([...rows, { unitId: '00112233445566', name: '' }, { unitId: '00112233445577', colour: 'red' }, null]);
    expect(checked.errors.map((e) => [e.row, e.field])).toEqual([[2, 'unitId'], [3, 'unitId'], [4, 'name'], [5, 'colour'], [6, 'row']]);
    expect(checked.rows.map((r) => r.row)).toEqual([1]);
  });
});

describe('device secrets', () => {
  it('hashes that verifySecret accepts, cheaply, in order', async () => {
    const secrets = Array.from({ length: 40 }, () => newSecret(32));
    const hashes = await hashDeviceSecrets(secrets);
    expect(hashes[0]).toMatch(/^scrypt\$256\$8\$1\$/);
    for (const [i, s] of secrets.entries()) expect(await verifySecret(s, hashes[i]!)).toBe(true);
    expect(await verifySecret(secrets[0]!, hashes[1]!)).toBe(false);
    expect(await verifySecret(secrets[0]!, DEVICE_DUMMY_HASH)).toBe(false);
    const t0 = performance.now();
    await hashDeviceSecret(newSecret(32));
    expect(performance.now() - t0).toBeLessThan(40);
  });
});
