import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNIT_ID_RE } from '../../protocol/topics.js';
import { normaliseSerial, readUnitId, UnitIdError } from '../../agent/board/unit-id.js';

// A Raspberry Pi 4's /proc/cpuinfo tail (arm64 Raspberry Pi OS), as the kernel prints it.
const CPUINFO = `processor\t: 3\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\n\nHardware\t: BCM2835\nRevision\t: c03111\nSerial\t\t: 10000000A1B2C3D4\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-unit-id-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const paths = () => ({ serialPath: join(dir, 'serial-number'), cpuinfoPath: join(dir, 'cpuinfo') });

describe('unit id from the board', () => {
  it('reads the device-tree serial with its trailing NUL', () => {
    writeFileSync(paths().serialPath, Buffer.from('10000000a1b2c3d4\0', 'latin1'));
    writeFileSync(paths().cpuinfoPath, CPUINFO.replace('A1B2C3D4', 'FFFFFFFF'));
    const id = readUnitId(paths());
    expect(id).toBe('10000000a1b2c3d4');
    expect(id).toMatch(UNIT_ID_RE);
  });

  it('falls back to the Serial line of cpuinfo, lower-cased', () => {
    writeFileSync(paths().cpuinfoPath, CPUINFO);
    expect(readUnitId(paths())).toBe('10000000a1b2c3d4');
  });

  it('falls back when the device-tree serial is unusable', () => {
    writeFileSync(paths().serialPath, '\0');
    writeFileSync(paths().cpuinfoPath, CPUINFO);
    expect(readUnitId(paths())).toBe('10000000a1b2c3d4');
  });

  it('says clearly when neither source has a serial', () => {
    writeFileSync(paths().cpuinfoPath, 'processor\t: 0\nHardware\t: BCM2835\n');
    expect(() => readUnitId(paths())).toThrow(UnitIdError);
    expect(() => readUnitId(paths())).toThrow(/serial-number is missing; .*cpuinfo has no Serial line\); set AGENT_UNIT_ID/);
  });

  it.each([
    ['a1b2c3d4', '0000a1b2c3d4'],
    [' 0x10000000A1B2C3D4 \n', '10000000a1b2c3d4'],
    ['f'.repeat(32), 'f'.repeat(32)],
    ['f'.repeat(33), undefined],
    ['0000000000000000', undefined],
    ['10000000a1b2c3dz', undefined],
    ['', undefined],
  ])('normalises %j to %j', (raw, want) => {
    expect(normaliseSerial(raw)).toBe(want);
  });
});
