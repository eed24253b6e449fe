/**
 * An in-memory file system that models what a power cut keeps: file contents survive only up to
 * their last fsync, directory entries (creations, renames, unlinks) only up to the last fsync of
 * their directory. `powerCut()` throws away everything else, the way a page cache is lost.
 * Every call is recorded so tests can assert the order of fsyncs.
 */
import { dirname } from 'node:path';
import type { FsLayer } from '../../agent/state/atomic-write.js';

interface Inode {
  data: Buffer;
  synced: Buffer;
}

export type FsCall = { op: string; path: string };

export class PowerCutFs implements FsLayer {
  readonly calls: FsCall[] = [];
  private entries = new Map<string, Inode>();
  private durableEntries = new Map<string, Inode>();
  private dirs = new Set<string>(['/']);
  private fds = new Map<number, { path: string; inode?: Inode }>();
  private nextFd = 3;
  /** When set, the n-th next call (0 = the very next) throws as if the power failed there. */
  failAt: number | undefined;

  private step(op: string, path: string): void {
    if (this.failAt !== undefined && this.failAt-- === 0) throw new Error(`power cut before ${op} ${path}`);
    this.calls.push({ op, path });
  }

  openSync(path: string, flags: 'w' | 'r'): number {
    this.step(`open-${flags}`, path);
    if (flags === 'r' && this.dirs.has(path)) return this.allocFd(path);
    if (!this.dirs.has(dirname(path))) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    let inode = this.entries.get(path);
    if (flags === 'r' && !inode) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    if (flags === 'w') {
      if (!inode) this.entries.set(path, (inode = { data: Buffer.alloc(0), synced: Buffer.alloc(0) }));
      else inode.data = Buffer.alloc(0);
    }
    return this.allocFd(path, inode);
  }

  private allocFd(path: string, inode?: Inode): number {
    const fd = this.nextFd++;
    this.fds.set(fd, inode ? { path, inode } : { path });
    return fd;
  }

  writeSync(fd: number, data: Uint8Array): void {
    const f = this.fd(fd);
    this.step('write', f.path);
    f.inode!.data = Buffer.concat([f.inode!.data, data]);
  }

  fsyncSync(fd: number): void {
    const f = this.fd(fd);
    this.step(f.inode ? 'fsync' : 'fsync-dir', f.path);
    if (f.inode) f.inode.synced = Buffer.from(f.inode.data);
    else this.syncDir(f.path);
  }

  private syncDir(dir: string): void {
    for (const path of [...this.durableEntries.keys()]) {
      if (dirname(path) === dir && !this.entries.has(path)) this.durableEntries.delete(path);
    }
    for (const [path, inode] of this.entries) if (dirname(path) === dir) this.durableEntries.set(path, inode);
  }

  closeSync(fd: number): void {
    this.step('close', this.fd(fd).path);
    this.fds.delete(fd);
  }

  renameSync(from: string, to: string): void {
    this.step('rename', `${from} -> ${to}`);
    const inode = this.entries.get(from);
    if (!inode) throw Object.assign(new Error(`ENOENT ${from}`), { code: 'ENOENT' });
    this.entries.delete(from);
    this.entries.set(to, inode);
  }

  readFileSync(path: string): Buffer | undefined {
    const inode = this.entries.get(path);
    return inode ? Buffer.from(inode.data) : undefined;
  }

  unlinkSync(path: string): void {
    this.step('unlink', path);
    this.entries.delete(path);
  }

  mkdirSync(path: string): void {
    // Directories are created once by the installer (systemd StateDirectory); model them as durable.
    this.dirs.add(path);
  }

  /** The power fails: only synced data under durable names remains. */
  powerCut(): void {
    this.entries = new Map();
    for (const [path, inode] of this.durableEntries) {
      inode.data = Buffer.from(inode.synced);
      this.entries.set(path, inode);
    }
    this.fds.clear();
    this.failAt = undefined;
  }

  private fd(fd: number) {
    const f = this.fds.get(fd);
    if (!f) throw Object.assign(new Error(`EBADF ${fd}`), { code: 'EBADF' });
    return f;
  }
}
