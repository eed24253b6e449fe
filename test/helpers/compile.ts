/**
 * Node 20 runs no TypeScript, so tests that need a real child process compile the entry they run
 * (and what it imports) with the project's tsc into a private folder under dist/. Type errors in
 * files the entry does not depend on do not stop the emit; a missing output does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** Compiles `entry` (a path relative to the repo) into `outDir`; returns the emitted .js path. */
export function compileEntry(entry: string, outDir: string): string {
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--strict', '--outDir', outDir, '--rootDir', REPO,
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node',
      '--esModuleInterop', join(REPO, entry)], { cwd: REPO, stdio: 'pipe' });
  } catch {
    // type errors somewhere in the import graph; the emitted JavaScript is what matters
  }
  const js = join(outDir, entry.replace(/\.ts$/, '.js'));
  if (!existsSync(js)) throw new Error(`${entry} was not built into ${outDir}`);
  return js;
}
