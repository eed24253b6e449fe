/**
 * Atomic, durable replacement of a small file: write a temp file, fsync it, rename it over the
 * target, fsync the directory. After a power cut the target holds either the old or the new
 * content in full, never a torn mix, and once this returns the new content survives a power cut
 * (POSIX rename(2) is atomic; the directory fsync makes the rename itself durable).
 *
 * The file system is an injectable {@link FsLayer} so tests can record the order of calls and
 * simulate a power cut that drops everything not yet synced.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

/** The few synchronous file operations the agent's state needs. */
export interface FsLayer {
  /** Opens for writing (created or truncated) with 'w', read-only with 'r' (also directories). */
  openSync(path: string, flags: 'w' | 'r'): number;
  writeSync(fd: number, data: Uint8Array): void;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  /** The whole file, or undefined when it does not exist. */
  readFileSync(path: string): Buffer | undefined;
  unlinkSync(path: string): void;
  mkdirSync(path: string): void;
}

/** The real file system. */
export const nodeFs: FsLayer = {
  openSync: (path, flags) => fs.openSync(path, flags),
  writeSync: (fd, data) => {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
  },
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (from, to) => fs.renameSync(from, to),
  readFileSync: (path) => {
    try {
      return fs.readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  unlinkSync: (path) => fs.rmSync(path, { force: true }),
  mkdirSync: (path) => fs.mkdirSync(path, { recursive: true }),
};

/** Durably fsyncs a directory, so entries created or renamed in it survive a power cut. */
export function fsyncDir(layer: FsLayer, dir: string): void {
  const fd = layer.openSync(dir, 'r');
  try {
    layer.fsyncSync(fd);
  } finally {
    layer.closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically and durably (see file comment). A leftover temp file from
 * an interrupted earlier call is simply overwritten.
 */
export function atomicWriteFile(layer: FsLayer, path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = layer.openSync(tmp, 'w');
  try {
    layer.writeSync(fd, bytes);
    // The data must be on disk before the rename can make it visible under the real name.
    layer.fsyncSync(fd);
  } finally {
    layer.closeSync(fd);
  }
  layer.renameSync(tmp, path);
  // Without this the rename may still be lost, and the caller would acknowledge a state it loses.
  fsyncDir(layer, dirname(path));
}
