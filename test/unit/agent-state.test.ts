import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, StreamSchema, type Ownership } from '../../protocol/messages.js';
import { atomicWriteFile } from '../../agent/state/atomic-write.js';
import { compareOwnership, createStreamId, OwnershipStore, OWNERSHIP_FILE } from '../../agent/state/ownership-state.js';
import { PowerCutFs } from '../helpers/power-cut-fs.js';

const own = (epoch: number, issuedAt = 1_700_000_000_000 + epoch): Ownership => ({
  accountId: `acc-${epoch}`,
  epoch,
  issuedAt,
  settings: { ...DEFAULT_SETTINGS, obdPids: [...DEFAULT_SETTINGS.obdPids] },
});

describe('atomicWriteFile', () => {
  it('fsyncs the temp file before the rename and the directory after it', () => {
    const fs = new PowerCutFs();
    fs.mkdirSync('/state');
    atomicWriteFile(fs, '/state/a.json', 'hello');
    expect(fs.calls.map((c) => `${c.op} ${c.path}`)).toEqual([
      'open-w /state/a.json.tmp',
      'write /state/a.json.tmp',
      'fsync /state/a.json.tmp',
      'close /state/a.json.tmp',
      'rename /state/a.json.tmp -> /state/a.json',
      'open-r /state',
      'fsync-dir /state',
      'close /state',
    ]);
  });

  it('survives a power cut right after it returns', () => {
    const fs = new PowerCutFs();
    fs.mkdirSync('/state');
    atomicWriteFile(fs, '/state/a.json', 'v1');
    fs.powerCut();
    expect(fs.readFileSync('/state/a.json')?.toString()).toBe('v1');
  });

  it('the power-cut model is able to catch a write that is not synced', () => {
    const fs = new PowerCutFs();
    fs.mkdirSync('/state');
    const fd = fs.openSync('/state/naive.json', 'w');
    fs.writeSync(fd, Buffer.from('lost'));
    fs.closeSync(fd);
    fs.powerCut();
    expect(fs.readFileSync('/state/naive.json')).toBeUndefined();
  });

  it('a power cut at any step leaves the old or the new content, never a torn or empty file', () => {
    for (let step = 0; step < 12; step++) {
      const fs = new PowerCutFs();
      fs.mkdirSync('/state');
      atomicWriteFile(fs, '/state/a.json', 'old-content');
      fs.failAt = step;
      let returned = false;
      try {
        atomicWriteFile(fs, '/state/a.json', 'new-content-longer');
        returned = true;
      } catch {
        // the power failed during the write
      }
      fs.powerCut();
      const after = fs.readFileSync('/state/a.json')?.toString();
      expect(['old-content', 'new-content-longer']).toContain(after);
      if (returned) expect(after).toBe('new-content-longer');
    }
  });
});

describe('OwnershipStore', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('persists on the real file system and loads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-state-'));
    dirs.push(dir);
    const a = new OwnershipStore(dir);
    expect(a.load()).toBeUndefined();
    a.save(own(3));
    expect(JSON.parse(readFileSync(join(dir, OWNERSHIP_FILE), 'utf8'))).toEqual(own(3));
    expect(readdirSync(dir)).toEqual([OWNERSHIP_FILE]);
    const b = new OwnershipStore(dir);
    expect(b.load()).toEqual(own(3));
    expect(b.current()).toEqual(own(3));
  });

  it('never loses an acknowledged (saved) ownership to a power cut, at any instant of the next save', () => {
    for (let step = 0; step < 10; step++) {
      const fs = new PowerCutFs();
      const store = new OwnershipStore('/var/lib/fleet-agent', fs);
      store.load();
      store.save(own(1)); // returned: the agent may now acknowledge epoch 1
      fs.failAt = step;
      let acked2 = false;
      try {
        store.save(own(2));
        acked2 = true;
      } catch {
        // power failed mid-save: epoch 2 was never acknowledged
      }
      fs.powerCut();
      const after = new OwnershipStore('/var/lib/fleet-agent', fs).load();
      // Either epoch, whole; never nothing, never a torn file (load() would throw).
      expect([1, 2]).toContain(after?.epoch);
      expect(after).toEqual(own(after!.epoch));
      if (acked2) expect(after).toEqual(own(2));
    }
  });

  it('refuses an invalid ownership instead of persisting it', () => {
    const fs = new PowerCutFs();
    const store = new OwnershipStore('/s', fs);
    store.load();
    expect(() => store.save({ ...own(1), epoch: 0 })).toThrow();
    expect(fs.readFileSync(`/s/${OWNERSHIP_FILE}`)).toBeUndefined();
  });
});

describe('compareOwnership and stream ids', () => {
  it.each([
    [{ epoch: 2, issuedAt: 5 }, undefined, 'newer'],
    [{ epoch: 2, issuedAt: 5 }, { epoch: 1, issuedAt: 9 }, 'newer'],
    [{ epoch: 2, issuedAt: 6 }, { epoch: 2, issuedAt: 5 }, 'newer'],
    [{ epoch: 2, issuedAt: 5 }, { epoch: 2, issuedAt: 5 }, 'same'],
    [{ epoch: 2, issuedAt: 4 }, { epoch: 2, issuedAt: 5 }, 'older'],
    [{ epoch: 1, issuedAt: 99 }, { epoch: 2, issuedAt: 5 }, 'older'],
  ] as const)('%j against %j is %s', (incoming, held, want) => {
    expect(compareOwnership(incoming, held)).toBe(want);
  });

  it('creates random stream ids that match StreamSchema', () => {
    const ids = new Set(Array.from({ length: 100 }, () => createStreamId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(StreamSchema.safeParse(id).success).toBe(true);
  });
});
